import type { FileHandle } from 'node:fs/promises';
import type { ContentKindName } from '../../protocol/images/transfer-codec.js';

/**
 * Content the nodes hand each other peer to peer (node/content/): images from the
 * engine, whole or as their config and layers (node/images/), and the process runtime's
 * file bundles (node/artifacts/). Every
 * piece is named by the sha256 it is checked against, so a node may take it from any
 * peer: what does not match is refused, whoever sent it.
 */
export type ContentKind = ContentKindName;

/** A piece of content as one file of bytes, the same bytes on every request, so a transfer can resume at an offset. */
export interface ServedFile {
  path: string;
  sizeBytes: number;
  /** Where the content begins in the file (a layer inside a spooled `docker save`); 0 where absent. */
  offsetBytes?: number;
}

/**
 * A file still being written (an image's `docker save`), served as it grows so its
 * bytes start moving before the last is written: a reader follows the writer up to
 * what it has written, and learns the size at the end.
 */
export interface GrowingFile {
  /** Opens the bytes for reading: the file being written, or, once written out, the whole file. */
  open(): Promise<FileHandle>;
  /** Bytes written so far, every one of them readable through open(). */
  writtenBytes(): number;
  /** Resolves once more than `bytes` are written, or the writing ended (either way). */
  grown(bytes: number, signal: AbortSignal): Promise<void>;
  /** The whole file once written; rejects where the writing failed (what was read of it is not the content). */
  readonly finished: Promise<ServedFile>;
}

/** Content that does not match its id: the transfer is discarded and another provider tried. */
export class ContentMismatchError extends Error {
  override readonly name = 'ContentMismatchError';
}

/** One attempt at a transfer, checked as its bytes arrive, then taken in without reading the whole file again to check it. */
export interface ContentReceiver {
  /** The next bytes, in order, once written to the part file. Throws ContentMismatchError once they cannot be the content. */
  write(parts: readonly Uint8Array[]): Promise<void>;
  /** Takes the part file at `path`, every byte of it written here, as accept() does. */
  accept(path: string): Promise<void>;
  /** The attempt ended otherwise: drop what the check holds. */
  discard(): void;
}

export interface ContentStore {
  readonly kind: ContentKind;
  /** Ids (`sha256:<hex>`) this node holds now, to announce. */
  list(): Promise<string[]>;
  has(id: string): Promise<boolean>;
  /** The bytes to serve for `id`, whole or still being written, or undefined where this node does not hold it. */
  serve(id: string): Promise<ServedFile | GrowingFile | undefined>;
  /**
   * Takes a whole received file for `id`: checks it against the id and stores it (the
   * engine loads an image). Throws ContentMismatchError where it does not match; the
   * file is the caller's to delete either way.
   */
  accept(id: string, path: string): Promise<void>;
  /** Where the store checks content as it arrives (images): a receiver for one attempt at `id`. */
  receive?(id: string): ContentReceiver;
}

/**
 * Content the nodes hand each other peer to peer (node/content/): images from the
 * engine (node/images/) and the process runtime's file bundles (node/artifacts/). Every
 * piece is named by the sha256 it is checked against, so a node may take it from any
 * peer: what does not match is refused, whoever sent it.
 */
export type ContentKind = 'image' | 'artifact';

/** A piece of content as one file of bytes, the same bytes on every request, so a transfer can resume at an offset. */
export interface ServedFile {
  path: string;
  sizeBytes: number;
}

/** Content that does not match its id: the transfer is discarded and another provider tried. */
export class ContentMismatchError extends Error {
  override readonly name = 'ContentMismatchError';
}

export interface ContentStore {
  readonly kind: ContentKind;
  /** Ids (`sha256:<hex>`) this node holds now, to announce. */
  list(): Promise<string[]>;
  has(id: string): Promise<boolean>;
  /** The bytes to serve for `id`, or undefined where this node does not hold it. */
  serve(id: string): Promise<ServedFile | undefined>;
  /**
   * Takes a whole received file for `id`: checks it against the id and stores it (the
   * engine loads an image). Throws ContentMismatchError where it does not match; the
   * file is the caller's to delete either way.
   */
  accept(id: string, path: string): Promise<void>;
}

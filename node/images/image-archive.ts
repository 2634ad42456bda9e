import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { type Extract, extract, type Pack, pack } from 'tar-stream';
import {
  type ArchiveFile,
  type ArchiveVerdict,
  checkArchive,
  forwardedFiles,
  loadManifest,
  MAX_ARCHIVE_FILES,
  MAX_CONFIG_BYTES,
  MAX_KEPT_BYTES,
  MAX_MANIFEST_BYTES,
  MAX_PATH_CHARS,
} from '../../protocol/images/archive-check.js';
import { piecePaths, piecesManifest } from '../../protocol/images/layer-plan.js';
import { ContentMismatchError } from '../content/content-store.js';

const MANIFEST = 'manifest.json';
const OPEN_BRACE = 0x7b;

/** An entry of a tar being read: its header, and its bytes as a stream. */
type Entry = Extract extends AsyncIterable<infer E> ? E : never;
/** The stream an entry's bytes are written to in a tar being built. */
type Sink = ReturnType<Pack['entry']>;

const isRegular = (type: string): boolean => type === 'file' || type === 'contiguous-file';

/** An entry's bytes: tar-stream's streams are typed as yielding anything. */
async function* bytesOf(entry: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  for await (const chunk of entry) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError(`a tar entry yielded ${typeof chunk}, not bytes`);
    yield chunk;
  }
}

/**
 * Hands each entry of the tar at `path` to `onEntry`, in order, one at a time (each must
 * be read to its end or resumed). An error of the file itself (missing, unreadable) is
 * thrown as it is; one of its contents (not a tar, cut short) as ContentMismatchError.
 */
async function readTar(path: string, onEntry: (entry: Entry) => Promise<void>): Promise<void> {
  const source = createReadStream(path);
  const tar = extract();
  let fileError: Error | undefined;
  source.on('error', (e) => {
    fileError = e;
    tar.destroy(e);
  });
  source.pipe(tar);
  try {
    for await (const entry of tar) await onEntry(entry);
  } catch (e) {
    if (fileError !== undefined) throw fileError;
    if (e instanceof ContentMismatchError) throw e;
    throw new ContentMismatchError(`${path} is not a whole tar archive: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    source.destroy();
    tar.destroy();
  }
}

/** What one pass over the archive keeps: every regular file's digest, manifest.json, and the config's candidates. */
class ArchiveReading {
  readonly files: ArchiveFile[] = [];
  readonly kept = new Map<string, Uint8Array>();
  manifest: Uint8Array | undefined;
  private keptBytes = 0;

  constructor(readonly expectedId: string | undefined) {}

  /**
   * Reads one regular file. Bytes are held only for manifest.json and for files small
   * enough to be the config that could be it: with the id known, the one that hashes to
   * it; without, those that begin as JSON does, within MAX_KEPT_BYTES together.
   */
  async add(name: string, declaredBytes: number, body: AsyncIterable<Uint8Array>): Promise<void> {
    if (this.files.length === MAX_ARCHIVE_FILES) throw new ContentMismatchError(`more than ${MAX_ARCHIVE_FILES} files in the archive`);
    if (name.length > MAX_PATH_CHARS) throw new ContentMismatchError(`a path of ${name.length} characters in the archive; at most ${MAX_PATH_CHARS}`);
    const isManifest = name === MANIFEST && this.manifest === undefined;
    if (isManifest && declaredBytes > MAX_MANIFEST_BYTES) throw new ContentMismatchError(`${MANIFEST} is ${declaredBytes} bytes; at most ${MAX_MANIFEST_BYTES}`);
    let hold = isManifest || declaredBytes <= MAX_CONFIG_BYTES;
    const hash = createHash('sha256');
    const held: Uint8Array[] = [];
    let sizeBytes = 0;
    for await (const chunk of body) {
      hash.update(chunk);
      if (hold && sizeBytes === 0 && chunk.length > 0 && !isManifest && this.expectedId === undefined) hold = chunk[0] === OPEN_BRACE;
      sizeBytes += chunk.length;
      if (hold) held.push(chunk);
    }
    const sha256 = hash.digest('hex');
    this.files.push({ path: name, sha256, sizeBytes });
    if (!hold) return;
    const bytes = new Uint8Array(Buffer.concat(held));
    if (isManifest) this.manifest = bytes;
    else this.keep(sha256, bytes);
  }

  private keep(sha256: string, bytes: Uint8Array): void {
    if (this.kept.has(sha256)) return;
    if (this.expectedId !== undefined) {
      if (`sha256:${sha256}` === this.expectedId) this.kept.set(sha256, bytes);
      return;
    }
    this.keptBytes += bytes.length;
    if (this.keptBytes > MAX_KEPT_BYTES) throw new ContentMismatchError(`more than ${MAX_KEPT_BYTES} bytes of small JSON files: not an archive docker save writes`);
    this.kept.set(sha256, bytes);
  }
}

/**
 * Reads the image archive at `path` once, as a stream, and checks it
 * (protocol/images/archive-check.ts): its config is `expectedId` (or, where undefined,
 * whatever it is: an operator's upload) and its layers are the config's. Holds in memory
 * only manifest.json and the config's candidates, each within its bound. Throws
 * ContentMismatchError, with what failed, where the archive is not that image.
 */
export async function inspectArchive(path: string, expectedId?: string): Promise<ArchiveVerdict> {
  const reading = new ArchiveReading(expectedId);
  await readTar(path, async (entry) => {
    const { name, type, size } = entry.header;
    if (isRegular(type)) await reading.add(name, size, bytesOf(entry));
    // Links, directories, devices: skipped, never forwarded.
    else entry.resume();
  });
  const verdict = checkArchive({ manifest: reading.manifest, files: reading.files, kept: reading.kept }, expectedId);
  if (!verdict.ok) throw new ContentMismatchError(verdict.error.detail);
  return verdict.value;
}

/**
 * The same check as inspectArchive, fed the archive's bytes as they arrive (a transfer
 * from a peer), so no second read of the whole file is needed once the last byte is in.
 * `write` resolves once the bytes are taken (the reader holds back at most a little);
 * it rejects, as `finish` does, with ContentMismatchError once the bytes are not an
 * archive of the expected image.
 */
export class ArchiveCheck {
  private readonly tar = extract();
  private readonly read: Promise<void>;
  private failure: Error | undefined;
  private readerDone = false;

  constructor(private readonly reading: ArchiveReading) {
    this.read = (async () => {
      for await (const entry of this.tar) {
        const { name, type, size } = entry.header;
        if (isRegular(type)) await this.reading.add(name, size, bytesOf(entry));
        else entry.resume();
      }
    })()
      .catch((e: unknown) => {
        this.failure = e instanceof ContentMismatchError ? e : new ContentMismatchError(`not a whole tar archive: ${e instanceof Error ? e.message : String(e)}`);
        this.tar.destroy();
      })
      .finally(() => {
        this.readerDone = true;
      });
  }

  async write(parts: readonly Uint8Array[]): Promise<void> {
    for (const part of parts) {
      if (this.failure !== undefined) throw this.failure;
      // A reader that stopped takes no more: bytes past the archive's end are not read, here or by the re-pack.
      if (this.readerDone) return;
      if (!this.tar.write(Buffer.from(part.buffer, part.byteOffset, part.byteLength))) await Promise.race([once(this.tar, 'drain'), this.read]);
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** The verdict on all the bytes written: the archive ends here. */
  async finish(): Promise<ArchiveVerdict> {
    if (this.failure === undefined) this.tar.end(undefined);
    await this.read;
    if (this.failure !== undefined) throw this.failure;
    const verdict = checkArchive({ manifest: this.reading.manifest, files: this.reading.files, kept: this.reading.kept }, this.reading.expectedId);
    if (!verdict.ok) throw new ContentMismatchError(verdict.error.detail);
    return verdict.value;
  }

  /** Drops what the reader holds, where the transfer ended otherwise. */
  destroy(): void {
    this.tar.destroy();
  }
}

/** A check of the archive of `expectedId` (undefined: whatever image it is), fed as its bytes arrive. */
export const checkWhileReceiving = (expectedId: string | undefined): ArchiveCheck => new ArchiveCheck(new ArchiveReading(expectedId));

/** Resolves once `sink` takes more, rejects where the archive stream closed first (its reader went away). */
const drained = (sink: Sink): Promise<void> =>
  new Promise((resolve, reject) => {
    const onDrain = (): void => {
      sink.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      sink.off('drain', onDrain);
      reject(new Error('the archive stream closed'));
    };
    if (sink.destroying || sink.destroyed) {
      reject(new Error('the archive stream closed'));
      return;
    }
    sink.once('drain', onDrain);
    sink.once('close', onClose);
  });

/**
 * Copies one file into the archive being built, checking once more that it hashes to
 * `id` (the file may have changed since it was inspected). Its last chunk is held back
 * until the digest is known: a file that no longer matches leaves the entry short, so
 * the archive ends cut off and the engine refuses all of it.
 */
async function forward(out: Pack, name: string, sizeBytes: number, body: AsyncIterable<Uint8Array>, id: string): Promise<void> {
  let settle: (e?: Error | null) => void = () => undefined;
  const written = new Promise<void>((resolve, reject) => {
    settle = (e) => (e ? reject(e) : resolve());
  });
  const to = out.entry({ name, size: sizeBytes, type: 'file', mode: 0o644, mtime: new Date(0) }, (e) => settle(e));
  // Where the archive fails, its reader gets the error from the archive stream; the entry's own is the same one.
  to.on('error', () => undefined);
  written.catch(() => undefined);
  const hash = createHash('sha256');
  let last: Uint8Array | undefined;
  for await (const chunk of body) {
    hash.update(chunk);
    if (last !== undefined && !to.write(last)) await drained(to);
    last = chunk;
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== id) throw new ContentMismatchError(`${name} changed since it was checked: it is ${actual}, not ${id}`);
  if (last !== undefined) to.write(last);
  to.end(undefined);
  await written;
}

async function fill(out: Pack, path: string, verdict: ArchiveVerdict): Promise<void> {
  const wanted = forwardedFiles(verdict);
  out.entry({ name: MANIFEST, mode: 0o644, mtime: new Date(0) }, Buffer.from(loadManifest(verdict)));
  const dirs = new Set([...wanted.keys()].map(dirname).flatMap((d) => d.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
  for (const dir of [...dirs].filter((d) => d !== '.').sort()) out.entry({ name: `${dir}/`, type: 'directory', mode: 0o755, mtime: new Date(0) });
  await readTar(path, async (entry) => {
    const { name, type, size } = entry.header;
    const id = isRegular(type) ? wanted.get(name) : undefined;
    if (id !== undefined) {
      wanted.delete(name);
      await forward(out, name, size, bytesOf(entry), id);
    } else entry.resume(); // What was not checked is not forwarded.
  });
  if (wanted.size > 0) throw new ContentMismatchError(`${[...wanted.keys()].join(', ')} no longer in ${path}`);
  out.finalize();
}

/**
 * The archive `docker load` gets for an inspected one: manifest.json as loadManifest
 * writes it (no tags), the config and the layers, read again from `path` and checked
 * again as they go, and nothing else. Any failure ends the stream with an error, so
 * the engine loads nothing from it.
 */
export function loadableArchive(path: string, verdict: ArchiveVerdict): Readable {
  const out = pack();
  fill(out, path, verdict).catch((e: Error) => out.destroy(e));
  return Readable.from(out, { objectMode: false });
}

/**
 * The archive `docker load` gets for image `id` fetched in pieces: manifest.json listing
 * every layer (piecesManifest), the config and the layers above the `held` ones the
 * engine has, each read from the file `pathOf` names and checked again against its id
 * as it goes. Any failure ends the stream with an error, so the engine loads nothing.
 */
export function piecesArchive(id: string, diffIds: readonly string[], held: number, pathOf: (id: string) => string): Readable {
  const out = pack();
  const { configPath, layerPaths } = piecePaths(id, diffIds);
  const fillPieces = async (): Promise<void> => {
    out.entry({ name: MANIFEST, mode: 0o644, mtime: new Date(0) }, Buffer.from(piecesManifest(id, diffIds)));
    const files = new Map([[configPath, id]]);
    for (let i = held; i < diffIds.length; i++) files.set(layerPaths[i] as string, diffIds[i] as string);
    for (const [name, pieceId] of files) {
      const path = pathOf(pieceId);
      const { size } = await stat(path);
      if (name.includes('/')) out.entry({ name: `${dirname(name)}/`, type: 'directory', mode: 0o755, mtime: new Date(0) });
      await forward(out, name, size, bytesOf(createReadStream(path)), pieceId);
    }
    out.finalize();
  };
  fillPieces().catch((e: Error) => out.destroy(e));
  return Readable.from(out, { objectMode: false });
}

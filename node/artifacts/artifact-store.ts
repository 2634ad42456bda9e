import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { chmod, cp, mkdir, readdir, rename, rm, stat, symlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { ARTIFACT_ID, ArtifactEntries } from '../../protocol/content/artifact-entries.js';
import type { HeldArtifact } from '../../protocol/content/artifact-retention.js';
import { ContentMismatchError, type ContentStore, type ServedFile } from '../content/content-store.js';

/** Artifacts announced at most, the newest: as many as the images a node announces. */
const MAX_ANNOUNCED = 256;
const TAR = /^([0-9a-f]{64})\.tar$/;

/**
 * Asked before an artifact of `bytes` (tar and files) is stored: makes room for it and
 * holds that room until the returned release is called (two stored at once both count),
 * or throws ArtifactStoreFullError. The store's quota (artifact-collector.ts).
 */
export type MakeRoom = (bytes: number) => Promise<() => void>;

/** No room for an artifact within the store's quota, once everything that may go has gone. */
export class ArtifactStoreFullError extends Error {
  override readonly name = 'ArtifactStoreFullError';
}

/**
 * What an artifact of a tar of `tarBytes` takes on disk: the tar, kept to serve peers,
 * and its unpacked files, which are at most the tar's payload. Known before unpacking,
 * so room is made before a byte of it is written.
 */
export const storedBytes = (tarBytes: number): number => 2 * tarBytes;

/**
 * The process runtime's bundles of files as content (protocol/content/artifact-entries.ts):
 * each kept as the tar it came as, `<dir>/<hex>.tar` (served to peers, the same bytes on
 * every request), and unpacked once, `<dir>/<hex>/`, which replicas get copies of and
 * nobody writes to. Both appear only whole: they are made under a temporary name (a
 * dot-name, swept at open) and renamed into place, the tar last, so a node that stops
 * half way holds the artifact or does not.
 */
export class ArtifactStore implements ContentStore {
  readonly kind = 'artifact';
  /** Takes in progress by id: a fetch and an upload of one artifact at once make one copy. */
  private readonly accepting = new Map<string, Promise<void>>();

  private constructor(
    readonly dir: string,
    private readonly makeRoom: MakeRoom,
  ) {}

  /** The store at `dir`, made if missing, without what a stopped node left half made. `makeRoom`: its quota, none by default. */
  static async open(dir: string, makeRoom: MakeRoom = async () => () => undefined): Promise<ArtifactStore> {
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(dir)) if (name.startsWith('.')) await rm(join(dir, name), { recursive: true, force: true });
    return new ArtifactStore(dir, makeRoom);
  }

  async list(): Promise<string[]> {
    return (await this.held())
      .sort((a, b) => b.lastUsedAtMs - a.lastUsedAtMs || (a.id < b.id ? -1 : 1))
      .slice(0, MAX_ANNOUNCED)
      .map((h) => h.id);
  }

  /** Every artifact held whole, with what it takes on disk and when it was last stored or started from. */
  async held(): Promise<HeldArtifact[]> {
    const held = await Promise.all(
      (await readdir(this.dir)).flatMap((name) => {
        const hex = TAR.exec(name)?.[1];
        return hex === undefined ? [] : [this.heldTar(hex).then((tar) => (tar === undefined ? undefined : { id: `sha256:${hex}`, ...tar }))];
      }),
    );
    return held.filter((h): h is HeldArtifact => h !== undefined);
  }

  /**
   * Deletes the artifact: its tar first, so from then on it is not held (nor served), then
   * its files. A replica started from it runs in a copy of its own, which stays. With
   * `unusedSinceMs`, only if it has not been used since (a start may have just begun to
   * copy it); true if it was removed.
   */
  async remove(id: string, unusedSinceMs?: number): Promise<boolean> {
    if (!ARTIFACT_ID.test(id)) return false;
    const held = await this.heldTar(hexOf(id));
    if (held === undefined || (unusedSinceMs !== undefined && held.lastUsedAtMs > unusedSinceMs)) return false;
    await rm(this.tarOf(id), { force: true });
    await rm(join(this.dir, hexOf(id)), { recursive: true, force: true });
    return true;
  }

  async has(id: string): Promise<boolean> {
    return ARTIFACT_ID.test(id) && (await this.heldTar(hexOf(id))) !== undefined;
  }

  async serve(id: string): Promise<ServedFile | undefined> {
    if (!(await this.has(id))) return undefined;
    const path = this.tarOf(id);
    return { path, sizeBytes: (await stat(path)).size };
  }

  /**
   * Copies the artifact's files into `into` (which must not exist), links as links, modes
   * kept: what a replica runs in and may write to. False where it is not held here.
   */
  async copy(id: string, into: string): Promise<boolean> {
    if (!(await this.has(id))) return false;
    await this.touch(id);
    await cp(join(this.dir, hexOf(id)), into, { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false, mode: constants.COPYFILE_FICLONE });
    return true;
  }

  /**
   * Checks `path` against `id` while it copies it in (so the bytes checked are the bytes
   * kept), then unpacks it by the artifact rules. ContentMismatchError when its sha256 is
   * not the id or the archive breaks a rule, ArtifactStoreFullError when the quota has no
   * room for it; nothing of it is kept then.
   */
  accept(id: string, path: string): Promise<void> {
    if (!ARTIFACT_ID.test(id)) return Promise.reject(new ContentMismatchError(`${JSON.stringify(id)} is not an artifact id (sha256:<64 hex>)`));
    // One after the other for one id: the second finds it held, and only checks its bytes.
    const next = (this.accepting.get(id) ?? Promise.resolve()).then(() => this.take(id, path));
    // What the next take waits for: never a rejection (that is this caller's).
    const settled: Promise<void> = next
      .catch(() => undefined)
      .finally(() => {
        if (this.accepting.get(id) === settled) this.accepting.delete(id);
      });
    this.accepting.set(id, settled);
    return next;
  }

  private async take(id: string, path: string): Promise<void> {
    const hex = hexOf(id);
    const temp = join(this.dir, `.${hex}.${randomBytes(6).toString('hex')}`);
    const held = await this.has(id);
    // Room is made before a byte is copied in, from the size of what is to be kept.
    const release = held ? () => undefined : await this.makeRoom(storedBytes((await stat(path)).size));
    try {
      const digest = await copyHashing(path, `${temp}.tar`);
      if (digest !== hex) throw new ContentMismatchError(`its sha256 is sha256:${digest}, not ${id}`);
      if (held) return await this.touch(id);
      await unpack(`${temp}.tar`, `${temp}.dir`);
      await rename(`${temp}.dir`, join(this.dir, hex)).catch(async (e: NodeJS.ErrnoException) => {
        // Unpacked whole before: an earlier take that stopped before its tar was renamed.
        if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
      });
      await rename(`${temp}.tar`, this.tarOf(id));
    } finally {
      release();
      await rm(`${temp}.tar`, { force: true });
      await rm(`${temp}.dir`, { recursive: true, force: true });
    }
  }

  /** The artifact of `hex` held whole: what it takes, and when it was last used (its tar's mtime, which `touch` moves). */
  private async heldTar(hex: string): Promise<Omit<HeldArtifact, 'id'> | undefined> {
    const [tar, dir] = await Promise.all([stat(join(this.dir, `${hex}.tar`)).catch(() => undefined), stat(join(this.dir, hex)).catch(() => undefined)]);
    return tar?.isFile() && dir?.isDirectory() ? { sizeBytes: storedBytes(tar.size), lastUsedAtMs: tar.mtimeMs } : undefined;
  }

  /** Used now: the least recently used go first when the store is full. */
  private async touch(id: string): Promise<void> {
    const now = new Date();
    await utimes(this.tarOf(id), now, now).catch(() => undefined);
  }

  private tarOf(id: string): string {
    return join(this.dir, `${hexOf(id)}.tar`);
  }
}

const hexOf = (id: string): string => id.slice('sha256:'.length);

/** Copies `from` to `to`, a new file, and answers the sha256 (hex) of the bytes copied. */
async function copyHashing(from: string, to: string): Promise<string> {
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(from), hashing, createWriteStream(to, { flags: 'wx', mode: 0o644 }));
  return hash.digest('hex');
}

/**
 * Unpacks the tar at `archive` into `into` (made here), every entry judged before a byte
 * of it is written (ArtifactEntries). Files and directories first, links last, once all are
 * known: with no link on disk while files are written, no write can pass through one.
 */
export async function unpack(archive: string, into: string): Promise<{ entries: number; sizeBytes: number }> {
  const entries = new ArtifactEntries();
  await mkdir(into, { mode: 0o755 });
  const source = createReadStream(archive);
  const extract = tarExtract();
  source.on('error', (e) => extract.destroy(e));
  source.pipe(extract);
  try {
    for await (const entry of extract) {
      const admitted = entries.admit(entry.header);
      if (!admitted.ok) throw new ContentMismatchError(`the archive is refused: ${admitted.error}`);
      const file = admitted.value;
      if (file === undefined || file.type !== 'file') {
        if (file?.type === 'directory') await mkdir(join(into, file.path), { recursive: true, mode: 0o755 });
        entry.resume();
        continue;
      }
      const target = join(into, file.path);
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      // `wx`: a new file, never one there already (nor what a link there names).
      await pipeline(entry, createWriteStream(target, { flags: 'wx', mode: file.mode }));
      await chmod(target, file.mode);
    }
  } catch (e) {
    // The disk's own (ENOSPC, EIO...) are the node's trouble, not the archive's.
    if (e instanceof ContentMismatchError || /^E[A-Z]+$/.test((e as NodeJS.ErrnoException).code ?? '')) throw e;
    // tar-stream's own: not a tar, or one cut short.
    throw new ContentMismatchError(`not a readable tar archive: ${(e as Error).message}`);
  } finally {
    source.destroy();
    extract.destroy();
  }
  const links = entries.finish();
  if (!links.ok) throw new ContentMismatchError(`the archive is refused: ${links.error}`);
  for (const [path, target] of links.value) {
    await mkdir(dirname(join(into, path)), { recursive: true, mode: 0o755 });
    await symlink(target, join(into, path));
  }
  return { entries: entries.count, sizeBytes: entries.sizeBytes };
}

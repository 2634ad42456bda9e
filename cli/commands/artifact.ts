import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdtemp, open, readdir, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack, type Header, type Pack } from 'tar-stream';
import { UserError } from '../../node/errors.js';
import { readApiError } from '../../protocol/api/errors.js';
import type { ArtifactFinishRequest, UploadChunkJson, UploadFinishJson, UploadJson } from '../../protocol/api/uploads.js';
import { ArtifactEntries, MAX_ARTIFACT_ENTRIES, type ArtifactEntry } from '../../protocol/content/artifact-entries.js';
import { ApiClient, type ApiTarget } from '../client.js';

/** A directory packed as an artifact: the tar's sha256 is its id. */
export interface ArtifactTar {
  id: string;
  sizeBytes: number;
  entries: number;
}

/** What the walk found: an entry of the artifact, and where its bytes are. */
type Found = ArtifactEntry & { source: string };

/**
 * Packs `dir` into a tar at `out` (a new file) so that the same files make the same bytes,
 * whoever packs them and whenever: entries sorted by name, every time 0, owner 0, modes
 * reduced to the executable bit. Refused, naming the path: a special file (socket, fifo,
 * device), a symbolic link that leads out of `dir` (no link is followed: it is packed as
 * a link), and what the node would refuse to unpack (protocol/content/artifact-entries.ts).
 */
export async function artifactTar(dir: string, out: string): Promise<ArtifactTar> {
  const found = await walk(resolve(dir));
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      done(null, chunk);
    },
  });
  const archive = pack();
  archive.on('error', (e: Error) => hashing.destroy(e));
  archive.pipe(hashing);
  const written = pipeline(hashing, createWriteStream(out, { flags: 'wx', mode: 0o600 }));
  try {
    for (const entry of found) await add(archive, entry);
    archive.finalize();
    await written;
  } catch (e) {
    archive.destroy();
    await written.catch(() => undefined);
    await rm(out, { force: true });
    throw e;
  }
  return { id: `sha256:${hash.digest('hex')}`, sizeBytes, entries: found.length };
}

/** Every entry below `root`, parents before children, names in byte order, each checked by the artifact rules. */
async function walk(root: string): Promise<Found[]> {
  const info = await stat(root).catch(() => undefined);
  if (info?.isDirectory() !== true) throw new UserError(`${root} is not a directory: shoal artifact push packs a directory`);
  const rules = new ArtifactEntries();
  const found: Found[] = [];
  const visit = async (relative: string): Promise<void> => {
    const names = (await readdir(join(root, relative))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const source = join(root, path);
      const entry = await lstat(source);
      const type = entry.isDirectory() ? 'directory' : entry.isFile() ? 'file' : entry.isSymbolicLink() ? 'symlink' : undefined;
      if (type === undefined) throw new UserError(`${source} is a ${kindOf(entry)}: an artifact holds files, directories and symbolic links only`);
      const target = type === 'symlink' ? await readlink(source) : undefined;
      const admitted = rules.admit({ name: path, type, size: type === 'file' ? entry.size : 0, mode: entry.mode, linkname: target });
      if (!admitted.ok) throw new UserError(`cannot pack ${root}: ${admitted.error}`);
      if (admitted.value !== undefined) found.push({ ...admitted.value, source });
      if (type === 'directory') await visit(path);
    }
  };
  await visit('');
  const links = rules.finish();
  if (!links.ok) throw new UserError(`cannot pack ${root}: ${links.error} (no link is followed: copy what it names into the directory)`);
  if (found.length > MAX_ARTIFACT_ENTRIES) throw new UserError(`cannot pack ${root}: more than ${MAX_ARTIFACT_ENTRIES} entries`);
  return found;
}

const kindOf = (entry: Awaited<ReturnType<typeof lstat>>): string =>
  entry.isSocket() ? 'socket' : entry.isFIFO() ? 'fifo' : entry.isCharacterDevice() ? 'character device' : entry.isBlockDevice() ? 'block device' : 'special file';

/** One entry into the archive, its bytes streamed from its file; resolves once the archive took it whole. */
function add(archive: Pack, entry: Found): Promise<void> {
  const header: Partial<Header> & Pick<Header, 'name'> = {
    name: entry.type === 'directory' ? `${entry.path}/` : entry.path,
    type: entry.type,
    mode: entry.mode,
    size: entry.sizeBytes,
    mtime: new Date(0),
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    ...(entry.target === undefined ? {} : { linkname: entry.target }),
  };
  return new Promise((done, fail) => {
    const sink = archive.entry(header, (e) => (e ? fail(e) : done()));
    if (entry.type !== 'file') return;
    const source = createReadStream(entry.source);
    source.on('error', (e) => {
      sink.destroy(e);
      fail(e);
    });
    source.pipe(sink);
  });
}

/** Times one upload is begun again after its node lost it (a restart, a failover to another node). */
const MAX_RESTARTS = 3;
/** Chunk requests in a row that may fail (a dropped connection) before the push gives up; each is resumed. */
const MAX_CHUNK_FAILURES = 5;
const RETRY_PAUSE_MS = 1_000;

/**
 * `shoal artifact push DIR`: packs DIR (artifactTar), uploads it to the node in chunks
 * (resuming where the node says it stands), and has the node keep it as an artifact,
 * checked against its id; the node announces it, and nodes whose replicas name it fetch
 * it from there. Prints the id, and the line a workload's spec takes.
 */
export async function pushArtifact(opts: { dir: string; api: ApiTarget; key: string }): Promise<void> {
  const client = new ApiClient(opts.api, opts.key);
  const scratch = await mkdtemp(join(tmpdir(), 'shoal-artifact-'));
  try {
    const file = join(scratch, 'artifact.tar');
    const packed = await artifactTar(opts.dir, file);
    const finished = await upload(client, file, packed);
    console.log(
      `artifact ${finished.id} (${formatBytes(finished.sizeBytes)}, ${packed.entries} entries) is on node ${finished.node.slice(-8)}; nodes that need it fetch it from there`,
    );
    console.log("in a workload's spec (the process runtime runs its command in a copy of it):");
    console.log(`  artifact: ${finished.id}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function upload(client: ApiClient, file: string, packed: ArtifactTar): Promise<UploadFinishJson> {
  for (let restarts = 0; ; restarts++) {
    const begun = await client.post<UploadJson>('/v1/uploads', {});
    if (begun.status !== 200) throw refused('the node refused the upload', begun);
    const { upload: id, maxChunkBytes, maxUploadBytes } = begun.body;
    if (packed.sizeBytes > maxUploadBytes) throw new UserError(`the artifact is ${formatBytes(packed.sizeBytes)}: a node takes uploads of at most ${formatBytes(maxUploadBytes)}`);
    const sent = await sendChunks(client, id, file, packed.sizeBytes, maxChunkBytes);
    const finish: ArtifactFinishRequest = { kind: 'artifact', id: packed.id };
    const finished = sent ? await client.post<UploadFinishJson>(`/v1/uploads/${id}/finish`, finish) : undefined;
    if (finished?.status === 200) return finished.body;
    // The node no longer knows the upload: begin again, from the first byte.
    if ((finished === undefined || finished.status === 404) && restarts < MAX_RESTARTS) continue;
    if (finished === undefined) throw new UserError(`the node lost the upload ${MAX_RESTARTS + 1} times`);
    throw refused('the node refused the artifact', finished);
  }
}

/** Sends the file from where the node says the upload stands; false if the node no longer knows the upload. */
async function sendChunks(client: ApiClient, id: string, file: string, sizeBytes: number, maxChunkBytes: number): Promise<boolean> {
  const source = await open(file, 'r');
  try {
    let offset = 0;
    let failures = 0;
    let conflicts = 0;
    while (offset < sizeBytes) {
      const chunk = Buffer.alloc(Math.min(maxChunkBytes, sizeBytes - offset));
      await source.read(chunk, 0, chunk.length, offset);
      let reply: { status: number; body: unknown };
      try {
        reply = await client.post<unknown>(`/v1/uploads/${id}/chunks`, { offset, data: chunk.toString('base64') });
        failures = 0;
      } catch (e) {
        // The chunk may have arrived: the next try at this offset is told where the upload stands.
        if (++failures > MAX_CHUNK_FAILURES) throw e;
        await pause(RETRY_PAUSE_MS);
        continue;
      }
      if (reply.status === 200) {
        offset = standing((reply.body as UploadChunkJson).sizeBytes, sizeBytes);
        continue;
      }
      if (reply.status === 404) return false;
      const refusal = readApiError(reply.body);
      if (reply.status === 409 && ++conflicts <= 16) {
        // Not where the node stands (a chunk whose answer was lost), or another request on it under way.
        offset = standing((reply.body as { sizeBytes?: unknown }).sizeBytes, sizeBytes);
        if (refusal.code === 'upload-busy') await pause(RETRY_PAUSE_MS);
        continue;
      }
      throw refused('the node refused a chunk', reply);
    }
    return true;
  } finally {
    await source.close();
  }
}

/** The node's word on how much it holds, which must be a place in the file. */
function standing(value: unknown, sizeBytes: number): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= sizeBytes) return value;
  throw new UserError(`the node says the upload holds ${String(value)} bytes, of ${sizeBytes}`);
}

function refused(what: string, reply: { status: number; body: unknown }): UserError {
  const refusal = readApiError(reply.body);
  return new UserError(`${what}: ${refusal.detail ?? refusal.error ?? `status ${reply.status}`}`);
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return bytes < 1024 ** 3 ? `${(bytes / 1024 ** 2).toFixed(1)} MiB` : `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

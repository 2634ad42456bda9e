import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdtemp, readdir, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack, type Header, type Pack } from 'tar-stream';
import { UserError } from '../../node/errors.js';
import type { ArtifactFinishRequest } from '../../protocol/api/uploads.js';
import { uploadFile } from '../upload.js';
import { ArtifactEntries, MAX_ARTIFACT_ENTRIES, type ArtifactEntry } from '../../protocol/content/artifact-entries.js';
import { ApiClient, type ApiTarget } from '../client.js';
import { formatBytes } from '../bytes.js';

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
    const finish: ArtifactFinishRequest = { kind: 'artifact', id: packed.id };
    const finished = await uploadFile(client, file, packed.sizeBytes, finish, 'the artifact');
    console.log(
      `artifact ${finished.id} (${formatBytes(finished.sizeBytes)}, ${packed.entries} entries) is on node ${finished.node.slice(-8)}; nodes that need it fetch it from there`,
    );
    console.log("in a workload's spec (the process runtime runs its command in a copy of it):");
    console.log(`  artifact: ${finished.id}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

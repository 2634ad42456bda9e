import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack, type Header } from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ArtifactStore } from '../../../node/artifacts/artifact-store.js';
import { ContentMismatchError } from '../../../node/content/content-store.js';

const root = mkdtempSync(join(tmpdir(), 'shoal-artifact-store-'));
let n = 0;

type Entry = Partial<Header> & Pick<Header, 'name'> & { data?: string };

/** A tar of `entries` written to a file of its own; with its id, the sha256 of the file. */
async function tar(entries: readonly Entry[]): Promise<{ path: string; id: string }> {
  const archive = pack();
  for (const { data, ...header } of entries) archive.entry(header, data ?? '');
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(Buffer.from(chunk as Uint8Array));
  const bytes = Buffer.concat(chunks);
  const path = join(root, `archive-${n++}.tar`);
  writeFileSync(path, bytes);
  return { path, id: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

const fresh = (): Promise<ArtifactStore> => ArtifactStore.open(join(root, `store-${n++}`));

async function refusal(store: ArtifactStore, id: string, path: string): Promise<string> {
  try {
    await store.accept(id, path);
  } catch (e) {
    assert.instance(e, ContentMismatchError);
    return (e as Error).message;
  }
  return 'accepted';
}

/** What the store's directory holds: nothing but whole artifacts, never a half-made one. */
const held = (store: ArtifactStore): string[] => readdirSync(store.dir).sort();

test.after(() => rmSync(root, { recursive: true, force: true }));

test('a good archive is kept as its tar and unpacked once: files with their modes, directories, links inside', async () => {
  const store = await fresh();
  const { path, id } = await tar([
    { name: 'run.sh', mode: 0o755, data: '#!/bin/sh\necho hi\n' },
    { name: 'lib/', type: 'directory' },
    { name: 'lib/data.txt', mode: 0o600, data: 'data' },
    { name: 'data', type: 'symlink', linkname: 'lib/data.txt' },
  ]);
  await store.accept(id, path);
  const hex = id.slice(7);
  assert.equal(held(store), [hex, `${hex}.tar`]);
  assert.ok(await store.has(id));
  assert.equal(await store.list(), [id]);
  const unpacked = join(store.dir, hex);
  assert.is(readFileSync(join(unpacked, 'run.sh'), 'utf8'), '#!/bin/sh\necho hi\n');
  assert.is(statSync(join(unpacked, 'run.sh')).mode & 0o777, 0o755);
  assert.is(statSync(join(unpacked, 'lib/data.txt')).mode & 0o777, 0o644);
  assert.is(readlinkSync(join(unpacked, 'data')), 'lib/data.txt');
  const served = await store.serve(id);
  assert.equal(served, { path: join(store.dir, `${hex}.tar`), sizeBytes: statSync(path).size });
  assert.equal(readFileSync(served?.path ?? ''), readFileSync(path), 'served as it came');
  assert.ok(existsSync(path), "the file handed in is the caller's, left where it was");
});

test("a copy is a fresh directory the replica may write to; the store's stays as it came", async () => {
  const store = await fresh();
  const { path, id } = await tar([
    { name: 'run.sh', mode: 0o755, data: 'x' },
    { name: 'link', type: 'symlink', linkname: 'run.sh' },
  ]);
  await store.accept(id, path);
  const into = join(root, `copy-${n++}`);
  assert.ok(await store.copy(id, into));
  assert.is(statSync(join(into, 'run.sh')).mode & 0o777, 0o755);
  assert.is(readlinkSync(join(into, 'link')), 'run.sh');
  writeFileSync(join(into, 'run.sh'), 'changed');
  assert.is(readFileSync(join(store.dir, id.slice(7), 'run.sh'), 'utf8'), 'x');
  assert.not.ok(await store.copy(`sha256:${'0'.repeat(64)}`, join(root, `copy-${n++}`)));
});

test('a file whose sha256 is not the id is refused, and nothing is kept', async () => {
  const store = await fresh();
  const { path } = await tar([{ name: 'a', data: 'a' }]);
  const other = `sha256:${'1'.repeat(64)}`;
  assert.match(await refusal(store, other, path), /its sha256 is sha256:[0-9a-f]{64}, not sha256:1111/);
  assert.equal(held(store), []);
  assert.not.ok(await store.has(other));
  assert.match(await refusal(store, 'sha256:nothex', path), /not an artifact id/);
});

test('an archive with ../x, an absolute path, a link out, a device or too many entries is refused, and nothing is kept', async () => {
  const store = await fresh();
  const cases: [Entry[], RegExp][] = [
    [[{ name: '../x', data: 'x' }], /climbs out/],
    [[{ name: '/etc/cron.d/x', data: 'x' }], /absolute path/],
    [[{ name: 'out', type: 'symlink', linkname: '../../etc' }], /leads outside/],
    [[{ name: 'abs', type: 'symlink', linkname: '/etc/passwd' }], /absolute path: outside/],
    [
      [
        { name: 'evil', type: 'symlink', linkname: '.' },
        { name: 'evil/x', data: 'x' },
      ],
      /lies beneath the symlink/,
    ],
    [[{ name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }], /character-device/],
  ];
  for (const [entries, reason] of cases) {
    const { path, id } = await tar(entries);
    assert.match(await refusal(store, id, path), reason);
  }
  assert.equal(held(store), []);
  assert.not.ok(existsSync(join(root, 'x')), 'nothing written outside');
});

test('an archive of more than 100,000 entries is refused', async () => {
  const store = await fresh();
  // The root's own entry, one header block over and over: counted like any, nothing to write, quick to make.
  const one = readFileSync((await tar([{ name: './', type: 'directory' }])).path).subarray(0, 512);
  const bytes = Buffer.concat([...Array.from({ length: 100_001 }, () => one), Buffer.alloc(1024)]);
  const path = join(root, `many-${n++}.tar`);
  writeFileSync(path, bytes);
  const id = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  assert.match(await refusal(store, id, path), /more than 100000 entries/);
  assert.equal(held(store), []);
});

test('bytes that are no tar at all are refused as content, not as a failure of the node', async () => {
  const store = await fresh();
  const path = join(root, `junk-${n++}`);
  writeFileSync(path, Buffer.alloc(2048, 7));
  const id = `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
  assert.match(await refusal(store, id, path), /not a readable tar archive/);
  assert.equal(held(store), []);
});

test('the same artifact taken twice at once is kept once; what a stopped node left half made is swept at open', async () => {
  const dir = join(root, `store-${n++}`);
  const store = await ArtifactStore.open(dir);
  const { path, id } = await tar([{ name: 'a', data: 'a' }]);
  await Promise.all([store.accept(id, path), store.accept(id, path)]);
  assert.equal(held(store), [id.slice(7), `${id.slice(7)}.tar`]);
  mkdirSync(join(dir, `.${'2'.repeat(64)}.abc.dir`));
  writeFileSync(join(dir, `.${'2'.repeat(64)}.abc.tar`), 'half');
  // Unpacked, its tar not yet renamed: not held.
  mkdirSync(join(dir, '3'.repeat(64)));
  const reopened = await ArtifactStore.open(dir);
  assert.equal(await reopened.list(), [id]);
  assert.not.ok(await reopened.has(`sha256:${'3'.repeat(64)}`));
  assert.not.ok(readdirSync(dir).some((name) => name.startsWith('.')));
  assert.ok(lstatSync(join(dir, '3'.repeat(64))).isDirectory());
});

test.run();

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract, pack } from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ContentMismatchError } from '../../../node/content/content-store.js';
import { checkWhileReceiving, inspectArchive, loadableArchive } from '../../../node/images/image-archive.js';
import { MAX_MANIFEST_BYTES } from '../../../protocol/images/archive-check.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-image-archive-'));
const utf8 = new TextEncoder();
const hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

interface TarEntry {
  name: string;
  data?: Uint8Array;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
}

async function writeTar(name: string, entries: readonly TarEntry[]): Promise<string> {
  const archive = pack();
  for (const e of entries) {
    if (e.type === 'directory' || e.type === 'symlink') archive.entry({ name: e.name, type: e.type, linkname: e.linkname ?? '' });
    else archive.entry({ name: e.name }, Buffer.from(e.data ?? new Uint8Array()));
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

/** The entries of a tar stream: name, type and bytes. */
async function readTar(stream: AsyncIterable<unknown> & NodeJS.ReadableStream): Promise<Map<string, { type: string; data: Buffer }>> {
  const tar = extract();
  const entries = new Map<string, { type: string; data: Buffer }>();
  const done = (async () => {
    for await (const entry of tar) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      entries.set(entry.header.name, { type: entry.header.type, data: Buffer.concat(chunks) });
    }
  })();
  for await (const chunk of stream) tar.write(chunk as Buffer);
  tar.end(undefined);
  await done;
  return entries;
}

/** A busybox-like image: three layers (one of them big enough to span many chunks), saved as Docker 20.10 does. */
function legacyImage(options: { repoTags?: string[] } = {}) {
  const layers = [Buffer.from('layer zero'), Buffer.alloc(300_000, 7), Buffer.from('{"a layer that looks like JSON"}')];
  const diffIds = layers.map((l) => `sha256:${hex(l)}`);
  const config = json({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } });
  const id = `sha256:${hex(config)}`;
  const layerDirs = layers.map((l, i) => hex(utf8.encode(`v1 ${i} ${hex(l)}`)));
  const layerPaths = layerDirs.map((d) => `${d}/layer.tar`);
  const manifest = json([{ Config: `${hex(config)}.json`, RepoTags: options.repoTags ?? ['shoal/busybox:1'], Layers: layerPaths }]);
  const entries: TarEntry[] = [
    ...layerDirs.flatMap((d, i) => [
      { name: `${d}/`, type: 'directory' as const },
      { name: `${d}/VERSION`, data: utf8.encode('1.0') },
      { name: `${d}/json`, data: json({ id: d, created: '2024-01-01T00:00:00Z' }) },
      { name: `${d}/layer.tar`, data: layers[i] as Buffer },
    ]),
    { name: `${hex(config)}.json`, data: config },
    { name: 'manifest.json', data: manifest },
    { name: 'repositories', data: json({ 'shoal/busybox': { '1': layerDirs[2] } }) },
  ];
  return { entries, id, config, layers, layerPaths, configPath: `${hex(config)}.json` };
}

const rejects = async (promise: Promise<unknown>, pattern: RegExp | string): Promise<Error> => {
  try {
    await promise;
  } catch (e) {
    assert.instance(e, ContentMismatchError);
    assert.match((e as Error).message, pattern);
    return e as Error;
  }
  assert.unreachable('accepted');
  throw new Error('unreachable');
};

test('a good archive passes with its id, and passes unasked (the id learnt from it)', async () => {
  const image = legacyImage();
  const path = await writeTar('good.tar', image.entries);
  const verdict = await inspectArchive(path, image.id);
  assert.equal(verdict, {
    id: image.id,
    configPath: image.configPath,
    layerPaths: image.layerPaths,
    layerIds: image.layers.map((l) => `sha256:${hex(l)}`),
    totalBytes: image.config.length + image.layers.reduce((n, l) => n + l.length, 0),
  });
  assert.equal(await inspectArchive(path), verdict);
});

/** The file's bytes fed to a check as they would arrive from a peer: in pieces of uneven sizes. */
async function checkInPieces(path: string, expectedId: string | undefined) {
  const bytes = readFileSync(path);
  const check = checkWhileReceiving(expectedId);
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = [1, 511, 4096, 65_536, 100_003][i % 5] as number;
    const parts = [bytes.subarray(at, at + size), bytes.subarray(at + size, at + 2 * size)];
    await check.write(parts.filter((p) => p.length > 0));
    at += 2 * size;
  }
  return check.finish();
}

test('checked as it arrives, in pieces, an archive gets the verdict a read of the file gives', async () => {
  const image = legacyImage();
  const path = await writeTar('pieces.tar', image.entries);
  assert.equal(await checkInPieces(path, image.id), await inspectArchive(path, image.id));
  assert.equal(await checkInPieces(path, undefined), await inspectArchive(path));
});

test('checked as it arrives: a changed layer, another image, a cut archive or bytes that are no tar are refused', async () => {
  const image = legacyImage();
  const good = readFileSync(await writeTar('pieces-good.tar', image.entries));
  const flipped = Buffer.from(good);
  const layerAt = flipped.indexOf(Buffer.alloc(64, 7));
  flipped.writeUInt8(8, layerAt);
  writeFileSync(join(dir, 'pieces-flipped.tar'), flipped);
  await rejects(checkInPieces(join(dir, 'pieces-flipped.tar'), image.id), /layer 1/);
  await rejects(checkInPieces(join(dir, 'pieces-good.tar'), `sha256:${'0'.repeat(64)}`), /not the expected/);
  writeFileSync(join(dir, 'pieces-cut.tar'), good.subarray(0, 200_000));
  await rejects(checkInPieces(join(dir, 'pieces-cut.tar'), image.id), /tar|manifest/);
  writeFileSync(join(dir, 'pieces-noise.tar'), Buffer.alloc(300_000, 0x41));
  await rejects(checkInPieces(join(dir, 'pieces-noise.tar'), image.id), /tar/);
});

test('what docker load gets holds the manifest without tags, the config and the layers, and nothing else', async () => {
  const image = legacyImage({ repoTags: ['nginx:1.27'] });
  const path = await writeTar('tagged.tar', [
    ...image.entries,
    { name: '../evil', data: utf8.encode('escape') },
    { name: 'extra.json', data: json({ not: 'checked' }) },
    { name: 'link', type: 'symlink', linkname: '/etc/passwd' },
  ]);
  const verdict = await inspectArchive(path, image.id);
  const out = await readTar(loadableArchive(path, verdict));
  const files = [...out].filter(([, e]) => e.type === 'file').map(([name]) => name);
  assert.equal(files.sort(), ['manifest.json', image.configPath, ...image.layerPaths].sort());
  assert.equal(JSON.parse(out.get('manifest.json')?.data.toString() ?? ''), [{ Config: image.configPath, RepoTags: [], Layers: image.layerPaths }]);
  assert.equal(out.get(image.configPath)?.data, image.config);
  for (const [i, p] of image.layerPaths.entries()) assert.equal(out.get(p)?.data, image.layers[i]);
  for (const p of image.layerPaths) assert.is(out.get(`${p.split('/')[0]}/`)?.type, 'directory');
});

test('an OCI layout archive (Docker 25) passes and loads the same way, a layer twice forwarded once', async () => {
  const layers = [Buffer.from('base'), Buffer.from('same'), Buffer.from('same')];
  const config = json({ rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${hex(l)}`) } });
  const blob = (b: Uint8Array): string => `blobs/sha256/${hex(b)}`;
  const path = await writeTar('oci.tar', [
    { name: 'blobs/', type: 'directory' },
    { name: 'blobs/sha256/', type: 'directory' },
    { name: blob(layers[0] as Buffer), data: layers[0] },
    { name: blob(layers[1] as Buffer), data: layers[1] },
    { name: blob(config), data: config },
    { name: 'index.json', data: json({ schemaVersion: 2, manifests: [] }) },
    { name: 'manifest.json', data: json([{ Config: blob(config), RepoTags: ['x:1'], Layers: layers.map(blob) }]) },
    { name: 'oci-layout', data: json({ imageLayoutVersion: '1.0.0' }) },
  ]);
  const verdict = await inspectArchive(path, `sha256:${hex(config)}`);
  assert.equal(verdict.layerPaths, layers.map(blob));
  const out = await readTar(loadableArchive(path, verdict));
  assert.equal([...out].filter(([, e]) => e.type === 'file').length, 1 + 2 + 1);
  assert.not.ok(out.has('index.json') || out.has('oci-layout'));
});

test('a layer with one byte flipped is refused, naming the layer', async () => {
  const image = legacyImage();
  const flipped = Buffer.from(image.layers[1] as Buffer);
  flipped[150_000] = 8;
  const path = await writeTar(
    'flipped.tar',
    image.entries.map((e) => (e.name === image.layerPaths[1] ? { ...e, data: flipped } : e)),
  );
  await rejects(inspectArchive(path, image.id), `layer 1 (${image.layerPaths[1]})`);
});

test('a truncated archive is refused as not a whole tar', async () => {
  const image = legacyImage();
  const path = await writeTar('truncated.tar', image.entries);
  for (const size of [100, 2_000, 150_000]) {
    const cut = join(dir, `cut-${size}.tar`);
    writeFileSync(cut, readFileSync(path));
    truncateSync(cut, size);
    await rejects(inspectArchive(cut, image.id), /not a whole tar archive|is not in the archive|no manifest\.json/);
  }
  const noise = join(dir, 'noise.tar');
  writeFileSync(noise, Buffer.alloc(4096, 0x41));
  await rejects(inspectArchive(noise), 'not a whole tar archive');
});

test('a config that is not the expected id is refused', async () => {
  const image = legacyImage();
  const path = await writeTar('other-config.tar', image.entries);
  await rejects(inspectArchive(path, `sha256:${'1'.repeat(64)}`), `is ${image.id}, not the expected`);
});

test('a manifest that names a file outside the archive, or the archive twice, is refused', async () => {
  const image = legacyImage();
  const escaping = image.entries.map((e) =>
    e.name === 'manifest.json' ? { ...e, data: json([{ Config: image.configPath, Layers: ['../evil', ...image.layerPaths.slice(1)] }]) } : e,
  );
  await rejects(inspectArchive(await writeTar('escaping.tar', [...escaping, { name: '../evil', data: image.layers[0] }]), image.id), 'has a .. component');
  const doubled = [...image.entries, { name: image.layerPaths[0] as string, data: image.layers[0] }];
  await rejects(inspectArchive(await writeTar('doubled.tar', doubled), image.id), 'in the archive 2 times');
});

test('a manifest.json past its bound is refused before it is read', async () => {
  const image = legacyImage();
  const big = image.entries.map((e) => (e.name === 'manifest.json' ? { ...e, data: Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20) } : e));
  await rejects(inspectArchive(await writeTar('big-manifest.tar', big), image.id), `at most ${MAX_MANIFEST_BYTES}`);
});

test('an archive changed after its inspection ends its loadable stream with an error, before the changed file is whole', async () => {
  const image = legacyImage();
  const path = await writeTar('changing.tar', image.entries);
  const verdict = await inspectArchive(path, image.id);
  const flipped = Buffer.from(image.layers[1] as Buffer);
  flipped[299_999] = 9;
  await writeTar(
    'changing.tar',
    image.entries.map((e) => (e.name === image.layerPaths[1] ? { ...e, data: flipped } : e)),
  );
  const received: Buffer[] = [];
  try {
    for await (const chunk of loadableArchive(path, verdict)) received.push(chunk as Buffer);
    assert.unreachable('the stream ended cleanly');
  } catch (e) {
    assert.instance(e, ContentMismatchError);
    assert.match((e as Error).message, 'changed since it was checked');
  }
  // The changed layer never arrives whole: its last chunk was held back.
  const whole = Buffer.concat(received);
  assert.is(whole.indexOf(flipped.subarray(299_000)), -1);
});

test('a missing file is an error of the file, not of its content', async () => {
  try {
    await inspectArchive(join(dir, 'absent.tar'));
    assert.unreachable('read a missing file');
  } catch (e) {
    assert.not.instance(e, ContentMismatchError);
    assert.is((e as NodeJS.ErrnoException).code, 'ENOENT');
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();

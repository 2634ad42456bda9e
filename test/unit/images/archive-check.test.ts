import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type ArchiveContents,
  type ArchiveFile,
  checkArchive,
  forwardedFiles,
  loadManifest,
  MAX_ARCHIVE_BYTES,
  MAX_ARCHIVE_FILES,
  MAX_CONFIG_BYTES,
  MAX_LAYERS,
  MAX_MANIFEST_BYTES,
  unsafePath,
} from '../../../protocol/images/archive-check.js';

const utf8 = new TextEncoder();
const hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const json = (value: unknown): Uint8Array => utf8.encode(JSON.stringify(value));
const fileOf = (path: string, bytes: Uint8Array): ArchiveFile => ({ path, sha256: hex(bytes), sizeBytes: bytes.length });

interface Built {
  contents: ArchiveContents;
  id: string;
  configPath: string;
  layerPaths: string[];
  diffIds: string[];
}

/** An archive as the legacy `docker save` lays it out, as its reader would describe it. */
function legacyArchive(layers: string[], options: { repoTags?: string[] } = {}): Built {
  const layerBytes = layers.map((l) => utf8.encode(l));
  const diffIds = layerBytes.map((b) => `sha256:${hex(b)}`);
  const config = json({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } });
  const configPath = `${hex(config)}.json`;
  const layerPaths = layerBytes.map((b, i) => `${hex(utf8.encode(`v1-${i}-${hex(b)}`))}/layer.tar`);
  const manifest = json([{ Config: configPath, RepoTags: options.repoTags ?? ['shoal/busybox:1'], Layers: layerPaths }]);
  const files = [
    ...layerPaths.flatMap((p, i) => [fileOf(p.replace('layer.tar', 'VERSION'), utf8.encode('1.0')), fileOf(p, layerBytes[i] as Uint8Array)]),
    fileOf(configPath, config),
    fileOf('manifest.json', manifest),
    fileOf('repositories', json({ 'shoal/busybox': { '1': 'x' } })),
  ];
  return { contents: { manifest, files, kept: new Map([[hex(config), config]]) }, id: `sha256:${hex(config)}`, configPath, layerPaths, diffIds };
}

/** Docker 25's layout: everything a blob named by its digest, so two equal layers are one file. */
function ociArchive(layers: string[]): Built {
  const layerBytes = layers.map((l) => utf8.encode(l));
  const diffIds = layerBytes.map((b) => `sha256:${hex(b)}`);
  const config = json({ rootfs: { type: 'layers', diff_ids: diffIds } });
  const blob = (b: Uint8Array): string => `blobs/sha256/${hex(b)}`;
  const manifest = json([{ Config: blob(config), RepoTags: null, Layers: layerBytes.map(blob) }]);
  const files = [
    ...[...new Map(layerBytes.map((b) => [blob(b), b])).entries()].map(([p, b]) => fileOf(p, b)),
    fileOf(blob(config), config),
    fileOf('index.json', json({ schemaVersion: 2 })),
    fileOf('oci-layout', json({ imageLayoutVersion: '1.0.0' })),
    fileOf('manifest.json', manifest),
  ];
  return {
    contents: { manifest, files, kept: new Map([[hex(config), config]]) },
    id: `sha256:${hex(config)}`,
    configPath: blob(config),
    layerPaths: layerBytes.map(blob),
    diffIds,
  };
}

const refusal = (contents: ArchiveContents, expectedId?: string): { code: string; detail: string } => {
  const verdict = checkArchive(contents, expectedId);
  assert.not.ok(verdict.ok, 'accepted');
  return verdict.ok ? { code: '', detail: '' } : verdict.error;
};
const withManifest = (built: Built, entries: unknown): ArchiveContents => {
  const manifest = json(entries);
  return { ...built.contents, manifest, files: built.contents.files.map((f) => (f.path === 'manifest.json' ? fileOf('manifest.json', manifest) : f)) };
};

test('a legacy docker save archive passes, with its id, config, layers in order and the bytes to forward', () => {
  const built = legacyArchive(['layer zero', 'layer one', 'layer two']);
  const verdict = checkArchive(built.contents, built.id);
  const configBytes = built.contents.kept.get(built.id.slice(7))?.length ?? 0;
  assert.equal(verdict, {
    ok: true,
    value: { id: built.id, configPath: built.configPath, layerPaths: built.layerPaths, layerIds: built.diffIds, totalBytes: configBytes + 10 + 9 + 9 },
  });
});

test('without an expected id, the id is learnt from the config', () => {
  const built = legacyArchive(['only layer']);
  const verdict = checkArchive(built.contents, undefined);
  assert.ok(verdict.ok && verdict.value.id === built.id);
});

test('an OCI layout archive passes; a layer twice is one file, counted once', () => {
  const built = ociArchive(['base', 'same', 'same']);
  const verdict = checkArchive(built.contents, built.id);
  assert.ok(verdict.ok, JSON.stringify(verdict));
  if (!verdict.ok) return;
  assert.equal(verdict.value.layerPaths, built.layerPaths);
  assert.is(verdict.value.totalBytes, (built.contents.kept.get(built.id.slice(7))?.length ?? 0) + 4 + 4);
  assert.equal([...forwardedFiles(verdict.value).keys()], [built.configPath, built.layerPaths[0], built.layerPaths[1]]);
});

test('an archive with no layers passes (an image of configuration only)', () => {
  const built = legacyArchive([]);
  assert.ok(checkArchive(built.contents, built.id).ok);
});

test('the manifest handed to docker load has the one image, as checked, and no tags', () => {
  const built = legacyArchive(['a', 'b'], { repoTags: ['nginx:1.27', 'victim/app:latest'] });
  const verdict = checkArchive(built.contents, built.id);
  assert.ok(verdict.ok);
  if (!verdict.ok) return;
  const manifest = JSON.parse(new TextDecoder().decode(loadManifest(verdict.value))) as unknown;
  assert.equal(manifest, [{ Config: built.configPath, RepoTags: [], Layers: built.layerPaths }]);
});

test('a config other than the expected id is refused, naming both', () => {
  const built = legacyArchive(['a']);
  const other = `sha256:${'0'.repeat(64)}`;
  const error = refusal(built.contents, other);
  assert.is(error.code, 'config');
  assert.match(error.detail, built.id);
  assert.match(error.detail, other);
});

test('a layer whose digest is not its diff_id is refused, naming the layer', () => {
  const built = legacyArchive(['a', 'b']);
  const files = built.contents.files.map((f) => (f.path === built.layerPaths[1] ? { ...f, sha256: 'f'.repeat(64) } : f));
  const error = refusal({ ...built.contents, files }, built.id);
  assert.is(error.code, 'layer');
  assert.match(error.detail, `layer 1 (${built.layerPaths[1]})`);
  assert.match(error.detail, `diff_ids[1] is ${built.diffIds[1]}`);
});

test('layers in another order than the config lists them are refused', () => {
  const built = legacyArchive(['a', 'b']);
  const error = refusal(withManifest(built, [{ Config: built.configPath, Layers: [...built.layerPaths].reverse() }]), built.id);
  assert.is(error.code, 'layer');
});

test('a layer count other than the config diff_ids count is refused', () => {
  const built = legacyArchive(['a', 'b']);
  const error = refusal(withManifest(built, [{ Config: built.configPath, Layers: built.layerPaths.slice(0, 1) }]), built.id);
  assert.equal(error, { code: 'layer', detail: "manifest.json lists 1 layers; the config's rootfs has 2" });
});

test('a manifest that is missing, not JSON, or not exactly one entry is refused', () => {
  const built = legacyArchive(['a']);
  assert.is(refusal({ ...built.contents, manifest: undefined }).code, 'manifest');
  assert.match(refusal({ ...built.contents, manifest: utf8.encode('[{"Config":') }).detail, 'not JSON');
  assert.match(refusal({ ...built.contents, manifest: json({ Config: built.configPath }) }).detail, 'not a list');
  assert.match(refusal({ ...built.contents, manifest: json([]) }).detail, 'lists 0 images');
  const entry = { Config: built.configPath, Layers: built.layerPaths };
  assert.match(refusal({ ...built.contents, manifest: json([entry, entry]) }).detail, 'lists 2 images');
  assert.match(refusal({ ...built.contents, manifest: json([{ Config: 5, Layers: [] }]) }).detail, 'Config');
  assert.match(refusal({ ...built.contents, manifest: json([{ Config: built.configPath, Layers: [1] }]) }).detail, 'Layers.0');
});

test('a path the manifest names that is absent is refused as missing', () => {
  const built = legacyArchive(['a']);
  const files = built.contents.files.filter((f) => f.path !== built.layerPaths[0]);
  assert.equal(refusal({ ...built.contents, files }, built.id), { code: 'missing', detail: `layer 0 ${built.layerPaths[0]} is not in the archive` });
  const noConfig = built.contents.files.filter((f) => f.path !== built.configPath);
  assert.is(refusal({ ...built.contents, files: noConfig }, built.id).code, 'missing');
  assert.is(refusal({ ...built.contents, kept: new Map() }, built.id).code, 'missing');
});

test('the manifest may not name a path with .., an absolute path, an empty component, or manifest.json', () => {
  const built = legacyArchive(['a']);
  for (const path of ['../evil', 'a/../../evil', '/etc/passwd', 'a//b', './a', 'manifest.json', '', 'a/./b']) {
    const contents = withManifest(built, [{ Config: built.configPath, Layers: [path] }]);
    const withFile = { ...contents, files: [...contents.files, { path, sha256: hex(utf8.encode('a')), sizeBytes: 1 }] };
    assert.is(refusal(withFile, built.id).code, 'path', path);
  }
  assert.is(unsafePath('blobs/sha256/abc'), undefined);
  assert.is(unsafePath('abc.json'), undefined);
});

test('a file the manifest names that is in the archive twice is refused, as is a second manifest.json', () => {
  const built = legacyArchive(['a']);
  const layer = built.contents.files.find((f) => f.path === built.layerPaths[0]) as ArchiveFile;
  assert.match(refusal({ ...built.contents, files: [...built.contents.files, layer] }, built.id).detail, 'in the archive 2 times');
  const manifest = built.contents.files.find((f) => f.path === 'manifest.json') as ArchiveFile;
  assert.is(refusal({ ...built.contents, files: [...built.contents.files, manifest] }, built.id).code, 'path');
});

test('files the manifest does not name are ignored, whatever their paths', () => {
  const built = legacyArchive(['a']);
  const extra = [fileOf('../evil', utf8.encode('x')), fileOf('/abs', utf8.encode('y')), fileOf('repositories', utf8.encode('z')), fileOf('repositories', utf8.encode('z'))];
  const verdict = checkArchive({ ...built.contents, files: [...built.contents.files, ...extra] }, built.id);
  assert.ok(verdict.ok);
  if (verdict.ok) assert.equal([...forwardedFiles(verdict.value).keys()], [built.configPath, ...built.layerPaths]);
});

test('a config that is not an image config, or whose kept bytes are not the file, is refused', () => {
  const built = legacyArchive(['a']);
  const notImage = json({ rootfs: { type: 'layers', diff_ids: ['sha256:short'] } });
  const configPath = `${hex(notImage)}.json`;
  const manifest = json([{ Config: configPath, Layers: [] }]);
  const files = [fileOf(configPath, notImage), fileOf('manifest.json', manifest)];
  assert.match(refusal({ manifest, files, kept: new Map([[hex(notImage), notImage]]) }).detail, 'not an image config');
  const notJson = utf8.encode('{not json');
  const other = [fileOf(`${hex(notJson)}.json`, notJson), fileOf('manifest.json', manifest)];
  assert.match(refusal({ manifest: json([{ Config: `${hex(notJson)}.json`, Layers: [] }]), files: other, kept: new Map([[hex(notJson), notJson]]) }).detail, 'not JSON');
  const lying = new Map([[built.id.slice(7), utf8.encode('{"rootfs":{"type":"layers","diff_ids":[]}}')]]);
  assert.match(refusal({ ...built.contents, kept: lying }, built.id).detail, 'kept are not');
});

test('inputs past their bounds are refused as too-large', () => {
  const built = legacyArchive(['a']);
  const huge = new Uint8Array(MAX_MANIFEST_BYTES + 1).fill(0x20);
  assert.is(refusal({ ...built.contents, manifest: huge }).code, 'too-large');
  const many = Array.from({ length: MAX_ARCHIVE_FILES + 1 }, (_, i) => ({ path: `f${i}`, sha256: '0'.repeat(64), sizeBytes: 0 }));
  assert.is(refusal({ ...built.contents, files: many }).code, 'too-large');
  const big = built.contents.files.map((f) => (f.path === 'repositories' ? { ...f, sizeBytes: MAX_ARCHIVE_BYTES } : f));
  assert.is(refusal({ ...built.contents, files: big }).code, 'too-large');
  const longPath = [...built.contents.files, { path: 'p'.repeat(5000), sha256: '0'.repeat(64), sizeBytes: 0 }];
  assert.is(refusal({ ...built.contents, files: longPath }).code, 'too-large');
  const bigConfig = built.contents.files.map((f) => (f.path === built.configPath ? { ...f, sizeBytes: MAX_CONFIG_BYTES + 1 } : f));
  assert.is(refusal({ ...built.contents, files: bigConfig }, built.id).code, 'too-large');
  const layers = Array.from({ length: MAX_LAYERS + 1 }, (_, i) => `l${i}`);
  assert.is(refusal(withManifest(built, [{ Config: built.configPath, Layers: layers }]), built.id).code, 'manifest');
});

test("the reader's malformed records are refused as invalid, not taken on trust", () => {
  const built = legacyArchive(['a']);
  for (const bad of [{ sha256: 'XYZ' }, { sizeBytes: -1 }, { sizeBytes: 1.5 }, { sizeBytes: Number.NaN }]) {
    const files = built.contents.files.map((f) => (f.path === 'repositories' ? { ...f, ...bad } : f));
    assert.is(refusal({ ...built.contents, files }).code, 'invalid', JSON.stringify(bad));
  }
});

test.run();

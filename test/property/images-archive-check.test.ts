import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ArchiveContents, type ArchiveFile, checkArchive, loadManifest, unsafePath } from '../../protocol/images/archive-check.js';
import { IMAGE_ID } from '../../protocol/images/image-record.js';
import { mutated, RUNS } from '../unit/fuzz/mutate.js';

const CODES = ['too-large', 'manifest', 'path', 'missing', 'config', 'layer', 'invalid'];
const utf8 = new TextEncoder();
const hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const json = (value: unknown): Uint8Array => utf8.encode(JSON.stringify(value));

/**
 * What an accepted archive must be, checked apart from the code under test: the config
 * and every layer in the archive once, at a safe path, hashing to the id and to the
 * config's diff_ids, and the manifest for docker load saying exactly that, untagged.
 */
function checkVerdict(contents: ArchiveContents, expectedId: string | undefined): void {
  const verdict = checkArchive(contents, expectedId);
  if (!verdict.ok) {
    assert.ok(CODES.includes(verdict.error.code), `unknown code ${verdict.error.code}`);
    assert.type(verdict.error.detail, 'string');
    return;
  }
  const { id, configPath, layerPaths, layerIds } = verdict.value;
  assert.ok(IMAGE_ID.test(id));
  if (expectedId !== undefined) assert.is(id, expectedId);
  const only = (path: string): ArchiveFile => {
    const found = contents.files.filter((f) => f.path === path);
    assert.is(found.length, 1, path);
    assert.is(unsafePath(path), undefined);
    return found[0] as ArchiveFile;
  };
  assert.is(`sha256:${only(configPath).sha256}`, id);
  const config = contents.kept.get(id.slice('sha256:'.length)) as Uint8Array;
  assert.is(`sha256:${hex(config)}`, id);
  const diffIds = (JSON.parse(new TextDecoder().decode(config)) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
  assert.equal(layerIds, diffIds);
  assert.is(layerPaths.length, diffIds.length);
  for (const [i, path] of layerPaths.entries()) assert.is(`sha256:${only(path).sha256}`, diffIds[i]);
  assert.equal(JSON.parse(new TextDecoder().decode(loadManifest(verdict.value))), [{ Config: configPath, RepoTags: [], Layers: [...layerPaths] }]);
}

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const path = fc.oneof(fc.constantFrom('manifest.json', 'repositories', '../evil', '/abs', 'a//b', './x', 'blobs/sha256/x', 'c.json', ''), fc.string({ maxLength: 12 }));
const file: fc.Arbitrary<ArchiveFile> = fc.record({
  path,
  sha256: fc.oneof(hex64, fc.string({ maxLength: 70 })),
  sizeBytes: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.maxSafeNat()),
});

test('arbitrary manifests, file lists and kept bytes never throw, and are refused with a known code or pass every check', () => {
  fc.assert(
    fc.property(
      fc.option(fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.jsonValue().map(json)), { nil: undefined }),
      fc.array(file, { maxLength: 12 }),
      fc.array(fc.tuple(fc.oneof(hex64, fc.string()), fc.uint8Array({ maxLength: 64 })), { maxLength: 4 }),
      fc.option(
        fc.oneof(
          hex64.map((h) => `sha256:${h}`),
          fc.string(),
        ),
        { nil: undefined },
      ),
      (manifest, files, kept, expectedId) => checkVerdict({ manifest, files, kept: new Map(kept) }, expectedId),
    ),
    { numRuns: RUNS },
  );
});

interface Valid {
  manifest: unknown;
  files: ArchiveFile[];
  kept: [string, Uint8Array][];
  id: string;
}

/** A well-formed archive of a few layers, some of them equal, in one layout or the other. */
const valid: fc.Arbitrary<Valid> = fc
  .record({ layers: fc.array(fc.constantFrom('a', 'b', 'layer', ''), { maxLength: 4 }), oci: fc.boolean(), tags: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }) })
  .map(({ layers, oci, tags }) => {
    const layerBytes = layers.map((l) => utf8.encode(l));
    const config = json({ os: 'linux', rootfs: { type: 'layers', diff_ids: layerBytes.map((b) => `sha256:${hex(b)}`) } });
    const pathOf = (b: Uint8Array, i: number): string => (oci ? `blobs/sha256/${hex(b)}` : `${i}${hex(b).slice(0, 8)}/layer.tar`);
    const configPath = oci ? `blobs/sha256/${hex(config)}` : `${hex(config)}.json`;
    const layerFiles = new Map(layerBytes.map((b, i) => [pathOf(b, i), { path: pathOf(b, i), sha256: hex(b), sizeBytes: b.length }]));
    const manifest = [{ Config: configPath, RepoTags: tags, Layers: layerBytes.map(pathOf) }];
    const files = [...layerFiles.values(), { path: configPath, sha256: hex(config), sizeBytes: config.length }, { path: 'manifest.json', sha256: '0'.repeat(64), sizeBytes: 0 }];
    return { manifest, files, kept: [[hex(config), config]], id: `sha256:${hex(config)}` };
  });

type FileEdit =
  | { kind: 'drop' | 'twice'; at: number }
  | { kind: 'digest'; at: number; sha256: string }
  | { kind: 'size'; at: number; sizeBytes: number }
  | { kind: 'path'; at: number; path: string };
const fileEdit: fc.Arbitrary<FileEdit> = fc.oneof(
  fc.record({ kind: fc.constantFrom('drop' as const, 'twice' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('digest' as const), at: fc.nat(), sha256: hex64 }),
  fc.record({ kind: fc.constant('size' as const), at: fc.nat(), sizeBytes: fc.oneof(fc.nat(), fc.integer()) }),
  fc.record({ kind: fc.constant('path' as const), at: fc.nat(), path }),
);

function applyFileEdit(files: ArchiveFile[], edit: FileEdit): ArchiveFile[] {
  if (files.length === 0) return files;
  const at = edit.at % files.length;
  const target = files[at] as ArchiveFile;
  const rest = [...files.slice(0, at), ...files.slice(at + 1)];
  switch (edit.kind) {
    case 'drop':
      return rest;
    case 'twice':
      return [...files, target];
    case 'digest':
      return [...rest, { ...target, sha256: edit.sha256 }];
    case 'size':
      return [...rest, { ...target, sizeBytes: edit.sizeBytes }];
    case 'path':
      return [...rest, { ...target, path: edit.path }];
  }
}

test('valid archives broken (the manifest mutated, files dropped, doubled or altered, the config bytes swapped) never throw, and pass only where every check holds', () => {
  fc.assert(
    fc.property(
      valid.chain((v) =>
        fc.record({
          v: fc.constant(v),
          manifest: mutated(fc.constant(v.manifest), json),
          edits: fc.array(fileEdit, { maxLength: 3 }),
          swapConfig: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
          expectId: fc.boolean(),
        }),
      ),
      ({ v, manifest, edits, swapConfig, expectId }) => {
        const files = edits.reduce(applyFileEdit, v.files);
        const kept = new Map(swapConfig === undefined ? v.kept : v.kept.map(([k]) => [k, swapConfig] as [string, Uint8Array]));
        checkVerdict({ manifest, files, kept }, expectId ? v.id : undefined);
      },
    ),
    { numRuns: RUNS },
  );
});

test('valid archives, unbroken, pass', () => {
  fc.assert(
    fc.property(valid, (v) => {
      const verdict = checkArchive({ manifest: json(v.manifest), files: v.files, kept: new Map(v.kept) }, v.id);
      assert.ok(verdict.ok, JSON.stringify(verdict));
    }),
    { numRuns: 1_000 },
  );
});

test.run();

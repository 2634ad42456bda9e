import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { pack } from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { indexImageArchive, indexTar } from '../../../node/images/spool-index.js';

const digest = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A tar of `files`, in order, as tar-stream writes it (ustar, with pax headers for long names). */
async function tar(files: [string, Buffer][]): Promise<Buffer> {
  const out = pack();
  for (const [name, bytes] of files) out.entry({ name, mtime: new Date(0) }, bytes);
  out.finalize();
  return buffer(out);
}

const dir = mkdtempSync(join(tmpdir(), 'shoal-spool-index-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('each regular file of a tar is found where its bytes lie, long names (pax, ustar prefix) included', async () => {
  const long = `${'d'.repeat(90)}/${'e'.repeat(90)}/layer.tar`;
  const longer = `${'f'.repeat(300)}.json`;
  const files: [string, Buffer][] = [
    ['a.txt', Buffer.from('one')],
    [long, randomBytes(1500)],
    [longer, Buffer.from('{}')],
    ['empty', Buffer.alloc(0)],
  ];
  const path = join(dir, 'plain.tar');
  await writeFile(path, await tar(files));
  const index = await indexTar(path);
  const archive = await readFile(path);
  assert.equal(
    [...index.keys()],
    files.map(([name]) => name),
  );
  for (const [name, bytes] of files) {
    const range = index.get(name);
    assert.ok(range !== undefined, name);
    assert.ok(archive.subarray(range.offsetBytes, range.offsetBytes + range.sizeBytes).equals(bytes), name);
  }
});

test("an image archive's config and layers are found by their ids", async () => {
  const layers = [randomBytes(3000), randomBytes(700)];
  const diffIds = layers.map(digest);
  const config = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: diffIds } }));
  const id = digest(config);
  const hex = (d: string): string => d.slice(7);
  const manifest = [{ Config: `${hex(id)}.json`, RepoTags: ['x:1'], Layers: diffIds.map((d) => `${hex(d)}/layer.tar`) }];
  const path = join(dir, 'image.tar');
  await writeFile(
    path,
    await tar([
      [`${hex(diffIds[0] as string)}/layer.tar`, layers[0] as Buffer],
      [`${hex(id)}.json`, config],
      [`${hex(diffIds[1] as string)}/layer.tar`, layers[1] as Buffer],
      ['manifest.json', Buffer.from(JSON.stringify(manifest))],
    ]),
  );
  const index = await indexImageArchive(path);
  const archive = await readFile(path);
  const bytesOf = (f: { offsetBytes?: number; sizeBytes: number }): Buffer => archive.subarray(f.offsetBytes ?? 0, (f.offsetBytes ?? 0) + f.sizeBytes);
  assert.is(digest(bytesOf(index.config)), id);
  assert.equal([...index.layers.keys()], diffIds);
  for (const [diffId, file] of index.layers) assert.is(digest(bytesOf(file)), diffId);
});

test('an archive cut inside a file, or without a manifest, is refused with what is wrong', async () => {
  const whole = await tar([['a/layer.tar', randomBytes(4096)]]);
  const cut = join(dir, 'cut.tar');
  await writeFile(cut, whole.subarray(0, 2048));
  try {
    await indexTar(cut);
    assert.unreachable('a cut archive is indexed');
  } catch (e) {
    assert.match((e as Error).message, /past the archive's end/);
  }
  const bare = join(dir, 'bare.tar');
  await writeFile(bare, whole);
  try {
    await indexImageArchive(bare);
    assert.unreachable('an archive without a manifest is indexed');
  } catch (e) {
    assert.match((e as Error).message, /no manifest\.json/);
  }
});

test.run();

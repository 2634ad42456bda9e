import type Dockerode from 'dockerode';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract, pack } from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inspectArchive, loadableArchive } from '../../node/images/image-archive.js';
import { followProgress } from '../../testnet/docker/docker-progress.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();
const dir = mkdtempSync(join(tmpdir(), 'shoal-image-archive-docker-'));
const maybe = docker === null ? test.skip : test;

async function save(engine: Dockerode, reference: string, file: string): Promise<string> {
  const path = join(dir, file);
  await pipeline(await engine.getImage(reference).get(), createWriteStream(path));
  return path;
}

/** Loads the checked archive; the engine's own report names what it loaded. */
async function load(engine: Dockerode, path: string, id: string): Promise<string> {
  const verdict = await inspectArchive(path, id);
  const progress = await engine.loadImage(loadableArchive(path, verdict), { quiet: true });
  const events = await followProgress(engine, progress, `docker load of ${id}`);
  return events.map((e) => e.stream ?? '').join('');
}

/** The manifest.json of a `docker save` archive, as the engine wrote it. */
async function savedManifest(path: string): Promise<{ RepoTags: string[] }[]> {
  const tar = extract();
  const reading = (async () => {
    for await (const entry of tar) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.name === 'manifest.json') return JSON.parse(Buffer.concat(chunks).toString()) as { RepoTags: string[] }[];
    }
    return [];
  })();
  tar.end(readFileSync(path));
  return reading;
}

/** An image of one file of random bytes: its id is new, so removing and loading it touches no other test's image. */
async function throwawayImage(engine: Dockerode, tag: string): Promise<string> {
  const rootfs = pack();
  rootfs.entry({ name: 'marker' }, randomBytes(64));
  rootfs.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of rootfs) chunks.push(chunk as Buffer);
  const tarball = join(dir, 'rootfs.tar');
  writeFileSync(tarball, Buffer.concat(chunks));
  const [repo, version] = tag.split(':') as [string, string];
  await followProgress(engine, await engine.importImage(tarball, { repo, tag: version }), `docker import of ${tag}`);
  return (await engine.getImage(tag).inspect()).Id;
}

maybe('docker save of shoal/busybox:1 passes with its id, and what loadableArchive gives docker load loads that id', async () => {
  const engine = docker as Dockerode;
  await ensureBusyboxImage(engine);
  const id = (await engine.getImage(BUSYBOX_IMAGE).inspect()).Id;
  const path = await save(engine, BUSYBOX_IMAGE, 'busybox.tar');
  const verdict = await inspectArchive(path, id);
  assert.is(verdict.id, id);
  assert.ok(verdict.layerPaths.length >= 1);
  const report = await load(engine, path, id);
  assert.match(report, `Loaded image ID: ${id}`);
  assert.is((await engine.getImage(BUSYBOX_IMAGE).inspect()).Id, id);
});

maybe('an image removed and loaded back from a checked archive has the same id and none of the tags saved with it', async () => {
  const engine = docker as Dockerode;
  const tag = `shoal/archive-test:${randomBytes(4).toString('hex')}`;
  const id = await throwawayImage(engine, tag);
  try {
    const path = await save(engine, tag, 'throwaway.tar');
    assert.equal((await savedManifest(path))[0]?.RepoTags, [tag], 'the saved archive carries the tag');
    await engine.getImage(id).remove({ force: true });
    const report = await load(engine, path, id);
    assert.match(report, `Loaded image ID: ${id}`);
    const loaded = await engine.getImage(id).inspect();
    assert.is(loaded.Id, id);
    assert.equal(loaded.RepoTags ?? [], []);
    assert.equal(await engine.listImages({ filters: { reference: [tag] } }), []);
  } finally {
    await engine
      .getImage(id)
      .remove({ force: true })
      .catch(() => undefined);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();

import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ContentMismatchError, type ServedFile } from '../../node/content/content-store.js';
import { DockerImageStore } from '../../node/images/docker-image-store.js';
import { ImagePieces } from '../../node/images/image-pieces.js';
import { noiseImage } from '../../testnet/images/noise-image.js';
import { dockerOrSkip } from './engine.js';

/** An image as its config and layers (node/images/image-pieces.ts), against a real engine. */
const docker = await dockerOrSkip();
const maybe = docker === null ? test.skip : test;
const dir = mkdtempSync(join(tmpdir(), 'shoal-image-pieces-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function bytesOf(file: ServedFile): Promise<Buffer> {
  const handle = await open(file.path, 'r');
  try {
    const buffer = Buffer.alloc(file.sizeBytes);
    await handle.read(buffer, 0, file.sizeBytes, file.offsetBytes ?? 0);
    return buffer;
  } finally {
    await handle.close();
  }
}

const digest = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** What a peer's transfer does with a piece: its bytes to a part file, fed to the store's receiver, then accepted. */
async function receive(pieces: ImagePieces, kind: 'config' | 'layer', id: string, bytes: Buffer): Promise<void> {
  const store = kind === 'config' ? pieces.configs : pieces.layers;
  const part = join(dir, `${randomUUID()}.part`);
  await writeFile(part, bytes);
  const receiver = store.receive?.(id);
  assert.ok(receiver !== undefined);
  await receiver.write([bytes]);
  await receiver.accept(part);
}

maybe(
  "an image's config and layers are served from its spooled archive by id; loaded back from its config and top layer onto the base the engine holds; wrong bytes and a base the engine lacks are refused",
  async () => {
    const engine = docker as NonNullable<typeof docker>;
    const reference = `pieces/app:${randomUUID().slice(0, 8)}`;
    const id = await noiseImage(engine, reference, randomUUID(), 64 * 1024);
    const images = new DockerImageStore(engine, join(dir, 'served'));
    const pieces = new ImagePieces(images, join(dir, 'pieces'));
    await pieces.start();
    try {
      const diffIds = (await engine.getImage(id).inspect()).RootFS.Layers ?? [];
      assert.is(diffIds.length, 2, 'busybox and the layer of its own');
      assert.ok((await pieces.layers.list()).includes(diffIds[1] as string), 'its layers are announced');
      const config = (await pieces.configs.serve(id)) as ServedFile;
      const top = (await pieces.layers.serve(diffIds[1] as string)) as ServedFile;
      assert.is(digest(await bytesOf(config)), id, 'the config served is the image id');
      assert.is(digest(await bytesOf(top)), diffIds[1], 'the layer served is its diff_id');
      const configBytes = await bytesOf(config);
      const topBytes = await bytesOf(top);
      assert.is(await pieces.layers.serve(`sha256:${'0'.repeat(64)}`), undefined, 'a layer no image has is not served');

      // A sender of wrong bytes: refused before anything is kept.
      try {
        await receive(pieces, 'layer', diffIds[1] as string, Buffer.concat([topBytes, Buffer.from('x')]));
        assert.unreachable('a layer of other bytes is taken');
      } catch (e) {
        assert.instance(e, ContentMismatchError);
      }

      // The engine keeps busybox (other images use it), not the app: its config and top layer bring it back.
      await engine.getImage(id).remove();
      await receive(pieces, 'config', id, configBytes);
      await receive(pieces, 'layer', diffIds[1] as string, topBytes);
      assert.equal(await pieces.configLayers(id), diffIds);
      // Claimed held, though the engine lacks it: the engine refuses, nothing is loaded.
      try {
        await pieces.load(id, diffIds, 2);
        assert.unreachable('an image is loaded without a layer the engine lacks');
      } catch (e) {
        assert.instance(e, ContentMismatchError);
      }
      assert.is(await images.has(id), false);
      await pieces.load(id, diffIds, 1);
      assert.is(await images.has(id), true, 'loaded from its config and the one layer the engine lacked');
      await pieces.forget(id, diffIds);
    } finally {
      await engine
        .getImage(id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  },
);

test.run();

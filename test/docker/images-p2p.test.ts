import type Dockerode from 'dockerode';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signedFetch } from '../../cli/client.js';
import type { NodeEvent } from '../../protocol/api/events.js';
import type { ImagesJson } from '../../protocol/api/images.js';
import { noiseImage } from '../../testnet/images/noise-image.js';
import { copyImage, startSideEngines, type SideEngines } from '../../testnet/images/side-engines.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { placements, until } from '../integration/scheduling-scenario.js';
import { dockerOrSkip } from './engine.js';

/**
 * Images peer to peer with no registry anywhere (issue 18): each node has its own Docker
 * engine (testnet/images/side-engines.ts), so an image one engine holds is not the others'.
 * Every image here is busybox and a layer of its own: a node whose engine holds busybox
 * fetches only that layer (and the config), one whose engine is empty the whole archive.
 */
const docker = await dockerOrSkip();

/** A distinct image: busybox plus a file (and `fillerBytes` of noise), committed in `engine` as `reference`. */
const workload = (name: string, image: string, site: string): string => `apiVersion: shoal/v1
kind: Workload
metadata: {name: ${name}}
spec:
  image: ${image}
  command: [sh, -c, "cat /marker; while true; do sleep 1; done"]
  replicas: 1
  resources: {cpu: 50m, memory: 8Mi}
  placement:
    constraints: [{key: site, operator: "==", value: ${site}}]
`;

/**
 * Every image the test moves. An engine's builds go one after another (the first imports
 * busybox, the others build on it); the two engines build side by side.
 */
async function buildImages(e1: Dockerode, e2: Dockerode): Promise<{ appId: string; badId: string; slowId: string; fileId: string }> {
  const [[appId, badId, fileId], slowId] = await Promise.all([
    (async () => [await noiseImage(e1, 'p2p/app:1', 'app-one'), await noiseImage(e1, 'p2p/bad:1', 'bad-one'), await noiseImage(e1, 'p2p/file:1', 'file-one')])(),
    // Built in node-2's engine: node-2 sends at 512 KiB/s, so a transfer from it lasts long enough to be cut.
    noiseImage(e2, 'p2p/slow:1', 'slow-one', 2_000_000),
  ]);
  return { appId, badId, slowId, fileId };
}

async function events(node: ShoalNodeProcess): Promise<NodeEvent[]> {
  return (await (await signedFetch(node.operatorKey as string)(`${node.api}/v1/events`)).json()) as NodeEvent[];
}

async function imagesOf(node: ShoalNodeProcess): Promise<ImagesJson> {
  return (await (await signedFetch(node.operatorKey as string)(`${node.api}/v1/images`)).json()) as ImagesJson;
}

async function apply(cluster: LocalCluster, dir: string, name: string, manifest: string): Promise<void> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, manifest);
  const applied = await runShoal(['apply', '-f', file, '--api', (cluster.nodes[0] as ShoalNodeProcess).apiAddress, '--key', cluster.operatorKey]);
  assert.is(applied.code, 0, applied.stderr);
}

async function push(cluster: LocalCluster, node: ShoalNodeProcess, image: string): Promise<void> {
  const pushed = await runShoal(['image', 'push', image, '--api', node.apiAddress, '--key', cluster.operatorKey]);
  assert.is(pushed.code, 0, pushed.stderr);
}

/** `POST /v1/images/push` alone, the first step of `shoal image push`: `node` checks that its engine holds `image` and announces it; no record is written. */
async function announce(node: ShoalNodeProcess, image: string): Promise<void> {
  const reply = await signedFetch(node.operatorKey as string)(`${node.api}/v1/images/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ image, namespace: 'default' }),
  });
  assert.is(reply.status, 200, await reply.text());
}

const runningOn = (observer: ShoalNodeProcess, name: string, node: string) => async () =>
  (await placements(observer)).find((p) => p.name === name && p.node === node && p.state === 'running');

/** A `docker save` of `id` from `engine` with one byte of a layer flipped: what a hostile or broken holder would serve. */
async function corruptedArchive(engine: Dockerode, id: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await engine.getImage(id).get()) chunks.push(chunk as Buffer);
  const archive = Buffer.concat(chunks);
  // Halfway into the archive is layer data (busybox's 2 MB): the tar stays readable, a digest does not match.
  const at = Math.floor(archive.length / 2);
  archive.writeUInt8(archive.readUInt8(at) ^ 0xff, at);
  return archive;
}

(docker === null ? test.skip : test)(
  'an image on one node runs on another after a peer-to-peer transfer; a corrupted copy is refused and fetched from another holder; a dropped transfer resumes',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-images-'));
    let engines: SideEngines | undefined;
    let cluster: LocalCluster | undefined;
    try {
      engines = await startSideEngines(3);
      const [e1, e2, e3] = engines.engines.map((e) => e.docker) as [Dockerode, Dockerode, Dockerode];
      const building = buildImages(e1, e2);
      // Awaited once the nodes run; a failure meanwhile is not an unhandled rejection.
      building.catch(() => undefined);
      const hosts = engines.engines.map((e) => e.dockerHost);
      cluster = await startLocalCluster({
        dir,
        nodes: 3,
        args: ['--runtime', 'docker', '--enable-fault-injection'],
        nodeArgs: (name) => ['--label', `site=${name}`, ...(name === 'node-2' ? ['--image-bandwidth', '512KiB'] : [])],
        nodeEnv: (name) => ({ DOCKER_HOST: hosts[Number(name.split('-')[1]) - 1] }),
      });
      const { appId, badId, slowId, fileId } = await building;
      // Nodes join at once, so the cluster lists them in the order they came up: find each by its directory.
      const named = (name: string): ShoalNodeProcess => cluster?.nodes.find((n) => n.dataDir.endsWith(name)) as ShoalNodeProcess;
      const [n1, n2, n3] = [named('node-1'), named('node-2'), named('node-3')];
      await waitForMembers(n1.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 30_000);

      // 1. Pushed from node-1's engine, run on node-2 by two workloads at once: fetched from node-1, once.
      await push(cluster, n1, 'p2p/app:1');
      await apply(cluster, dir, 'app', `${workload('app', 'p2p/app:1', 'node-2')}---\n${workload('app-twin', 'p2p/app:1', 'node-2')}`);
      await until('app runs on node-2', runningOn(n1, 'app', n2.peerId), 90_000);
      await until('app-twin runs on node-2', runningOn(n1, 'app-twin', n2.peerId), 30_000);
      assert.is((await e2.getImage('p2p/app:1').inspect()).Id, appId, "node-2's engine holds the content pushed, under its name");
      const fetches = (await events(n2)).filter((e) => e.kind === 'content-fetched' && e.object === appId);
      assert.is(fetches.length, 1, `one transfer for both workloads: ${JSON.stringify(fetches)}`);
      assert.ok(fetches[0]?.message.includes(n1.peerId), `node-2 fetched it from node-1: ${JSON.stringify(fetches)}`);
      // node-2's engine holds busybox (built there for `slow`, the same bytes as node-1's): only the app's own layer moved, not busybox's 2 MB.
      assert.match(fetches[0]?.message ?? '', /its config and 1 of 2 layers \(1 held here\), [\d.]+ (B|KiB) from/, 'layer by layer');
      await until(
        'get images lists both holders',
        async () => {
          const image = (await imagesOf(n3)).images.find((i) => i.id === appId);
          return image?.holders.length === 2 ? image : undefined;
        },
        30_000,
      );

      // 2. node-1 serves a corrupted archive of `bad`: node-3 refuses it, waits, and takes it from node-2 once node-2 holds it.
      await push(cluster, n1, 'p2p/bad:1');
      const spool = join(n1.dataDir, 'content', 'served');
      await mkdir(spool, { recursive: true });
      await writeFile(join(spool, `${badId.slice('sha256:'.length)}.tar`), await corruptedArchive(e1, badId));
      await apply(cluster, dir, 'bad', workload('bad', 'p2p/bad:1', 'node-3'));
      await until('node-3 refuses the corrupted copy', async () => (await events(n3)).find((e) => e.kind === 'content-refused' && e.object === badId), 60_000);
      assert.is(
        await e3
          .getImage(badId)
          .inspect()
          .catch(() => undefined),
        undefined,
        'nothing of the corrupted copy reached the engine',
      );
      // node-2 gets it as an operator would give it: docker load, then the push API there,
      // which announces it at once rather than at the node's next look at its engine.
      await copyImage(e1, e2, 'p2p/bad:1');
      await announce(n2, 'p2p/bad:1');
      await until('bad runs on node-3', runningOn(n1, 'bad', n3.peerId), 120_000);
      const good = (await events(n3)).find((e) => e.kind === 'content-fetched' && e.object === badId);
      assert.ok(good?.message.includes(n2.peerId), `node-3 took it from node-2: ${JSON.stringify(good)}`);
      assert.is((await e3.getImage('p2p/bad:1').inspect()).Id, badId);

      // 3. A transfer from node-2 (512 KiB/s) cut by a partition resumes where it stopped.
      await push(cluster, n2, 'p2p/slow:1');
      await apply(cluster, dir, 'slow', workload('slow', 'p2p/slow:1', 'node-3'));
      await until('the slow transfer is under way', async () => (await imagesOf(n3)).transfers.find((t) => t.id === slowId && t.receivedBytes > 256 * 1024), 60_000);
      const fetch = signedFetch(cluster.operatorKey);
      const cut = await fetch(`${n3.api}/v1/faults/partition`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ peers: [n2.peerId] }) });
      assert.is(cut.status, 200);
      // Healed at once: the gate aborted node-3's connections to node-2 before the POST
      // answered (node/partition-gate.ts), so the transfer is broken already, and its next
      // try, a second on, resumes from the bytes node-3 has.
      await fetch(`${n3.api}/v1/faults/partition`, { method: 'DELETE' });
      await until('slow runs on node-3', runningOn(n1, 'slow', n3.peerId), 120_000);
      const resumed = (await events(n3)).find((e) => e.kind === 'content-fetched' && e.object === slowId);
      assert.match(resumed?.message ?? '', /resumed at/, `the transfer resumed: ${JSON.stringify(resumed)}`);

      // 4. A `docker save` archive from this machine, pushed with --file through node-3: loaded into its engine; a tampered one refused.
      const archive = join(dir, 'file.tar');
      const chunks: Buffer[] = [];
      for await (const chunk of await e1.getImage(fileId).get()) chunks.push(chunk as Buffer);
      await writeFile(archive, Buffer.concat(chunks));
      const tampered = join(dir, 'tampered.tar');
      await writeFile(tampered, await corruptedArchive(e1, fileId));
      const refused = await runShoal(['image', 'push', 'p2p/file:1', '--file', tampered, '--api', n3.apiAddress, '--key', cluster.operatorKey]);
      assert.is.not(refused.code, 0, 'a tampered archive is refused');
      assert.match(refused.stderr, /refused/);
      const uploaded = await runShoal(['image', 'push', 'p2p/file:1', '--file', archive, '--api', n3.apiAddress, '--key', cluster.operatorKey]);
      assert.is(uploaded.code, 0, uploaded.stderr);
      assert.is((await e3.getImage(fileId).inspect()).Id, fileId, "the archive is in node-3's engine");
      const listed = (await imagesOf(n1)).images.find((i) => i.id === fileId);
      assert.equal(listed?.references, ['default/p2p/file:1'], 'and the cluster knows it by the name pushed');
    } finally {
      await cluster?.stop();
      await engines?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test.run();

import type Dockerode from 'dockerode';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signedFetch } from '../../cli/client.js';
import type { NodeEvent } from '../../protocol/api/events.js';
import type { ImagesJson } from '../../protocol/api/images.js';
import { noiseImage } from '../../testnet/images/noise-image.js';
import { startSideEngines, type SideEngines } from '../../testnet/images/side-engines.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { placements, until } from '../integration/scheduling-scenario.js';
import { dockerOrSkip } from './engine.js';

/**
 * Five nodes need one image at once that only the first holds (issue 18): a provider
 * serves one transfer at a time and a receiver announces what it got, so later nodes
 * fetch from earlier ones. Each node has its own engine (testnet/images/side-engines.ts).
 */
const docker = await dockerOrSkip();
const NODES = 5;

const GLOBAL = `apiVersion: shoal/v1
kind: Workload
metadata: {name: everywhere}
spec:
  image: fan/app:1
  mode: global
  command: [sh, -c, "while true; do sleep 1; done"]
  resources: {cpu: 20m, memory: 8Mi}
`;

async function get<T>(node: ShoalNodeProcess, path: string): Promise<T> {
  return (await (await signedFetch(node.operatorKey as string)(`${node.api}${path}`)).json()) as T;
}

(docker === null ? test.skip : test)('five nodes that need one image at once: later nodes fetch it from earlier ones, each once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-fanout-'));
  let engines: SideEngines | undefined;
  let cluster: LocalCluster | undefined;
  try {
    engines = await startSideEngines(NODES);
    const first = engines.engines[0]?.docker as Dockerode;
    // busybox and 2 MB of noise: at 1 MB/s a transfer lasts a few seconds, so the five needs overlap.
    const id = await noiseImage(first, 'fan/app:1', 'fan', 2_000_000);
    const hosts = engines.engines.map((e) => e.dockerHost);
    cluster = await startLocalCluster({
      dir,
      nodes: NODES,
      args: ['--runtime', 'docker', '--image-bandwidth', '1MB'],
      nodeEnv: (name) => ({ DOCKER_HOST: hosts[Number(name.split('-')[1]) - 1] }),
    });
    const nodes = cluster.nodes;
    const origin = nodes.find((n) => n.dataDir.endsWith('node-1')) as ShoalNodeProcess;
    await waitForMembers(origin.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === NODES, 30_000);
    const pushed = await runShoal(['image', 'push', 'fan/app:1', '--api', origin.apiAddress, '--key', cluster.operatorKey]);
    assert.is(pushed.code, 0, pushed.stderr);
    writeFileSync(join(dir, 'global.yaml'), GLOBAL);
    const applied = await runShoal(['apply', '-f', join(dir, 'global.yaml'), '--api', origin.apiAddress, '--key', cluster.operatorKey]);
    assert.is(applied.code, 0, applied.stderr);

    await until(
      'the workload runs on all five nodes',
      async () => {
        const running = (await placements(origin)).filter((p) => p.name === 'everywhere' && p.state === 'running');
        return new Set(running.map((p) => p.node)).size === NODES ? running : undefined;
      },
      180_000,
    );
    const receivers = nodes.filter((n) => n !== origin);
    const fetchedFrom = new Map<string, string>();
    for (const node of receivers) {
      const fetched = (await get<NodeEvent[]>(node, '/v1/events')).filter((e) => e.kind === 'content-fetched' && e.object === id);
      assert.is(fetched.length, 1, `${node.dataDir} fetched the image once: ${JSON.stringify(fetched)}`);
      fetchedFrom.set(node.peerId, nodes.find((n) => fetched[0]?.message.includes(n.peerId))?.peerId ?? '?');
    }
    const served = new Map<string, number>();
    for (const node of nodes) served.set(node.peerId, (await get<ImagesJson>(node, '/v1/images')).servedBytes[id] ?? 0);
    const total = [...served.values()].reduce((a, b) => a + b, 0);
    const byOrigin = served.get(origin.peerId) ?? 0;
    assert.ok(byOrigin > 0, 'the origin served the first copy');
    assert.ok(
      byOrigin < total,
      `later nodes served some of the copies: ${JSON.stringify(Object.fromEntries(served))} (fetched from ${JSON.stringify(Object.fromEntries(fetchedFrom))})`,
    );
    assert.ok(
      [...fetchedFrom.values()].some((p) => p !== origin.peerId),
      'at least one node fetched from another receiver',
    );
  } finally {
    await cluster?.stop();
    await engines?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

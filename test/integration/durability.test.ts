import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiClient, signedFetch, writeOps } from '../../cli/client.js';
import { loadOperatorKey } from '../../node/operator-key.js';
import { startLocalCluster, type LocalCluster } from '../../testnet/local/cluster.js';
import { startShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';

const root = mkdtempSync(join(tmpdir(), 'shoal-durable-'));
let cluster: LocalCluster;
let restarted: ShoalNodeProcess | undefined;

test.after(async () => {
  restarted?.child.kill('SIGKILL');
  await restarted?.exited;
  await cluster?.stop(0);
  rmSync(root, { recursive: true, force: true });
});

test('kill -9 during a burst of writes loses no acknowledged write', async () => {
  // The process runtime: the integration tier leaves the host's Docker engine alone (with `auto` a node takes it, and makes its replicas network there).
  cluster = await startLocalCluster({ dir: join(root, 'c'), nodes: 1, args: ['--runtime', 'process'] });
  const node = cluster.nodes[0]!;
  const key = loadOperatorKey(cluster.operatorKey);
  const client = new ApiClient(node.api, key);
  const acknowledged: string[] = [];
  let next = 0;
  const writer = async (): Promise<void> => {
    for (;;) {
      const name = `w-${next++}`;
      try {
        await writeOps(client, key, [{ key: `Workload/default/${name}`, set: { 'spec.image': 'busybox', 'spec.replicas': 1 } }]);
        acknowledged.push(name);
      } catch {
        return;
      }
    }
  };
  const writers = Array.from({ length: 8 }, writer);
  while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 5));
  node.child.kill('SIGKILL');
  await Promise.all(writers);
  await node.exited;

  restarted = await startShoal([
    '--data-dir',
    join(root, 'c', 'node-1'),
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
    '--api',
    '127.0.0.1:0',
    '--swim-preset',
    'local',
    '--runtime',
    'process',
  ]);
  const objects = (await (await signedFetch(key)(`${restarted.api}/v1/objects?kind=Workload`)).json()) as { name: string }[];
  const stored = new Set(objects.map((o) => o.name));
  const lost = acknowledged.filter((name) => !stored.has(name));
  assert.equal(lost, [], `${lost.length} of ${acknowledged.length} acknowledged writes lost`);
  assert.ok(acknowledged.length >= 40);
});

test.run();

import '../node/polyfill.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, signedFetch, writeOps } from '../cli/client.js';
import { loadOperatorKey } from '../node/operator-key.js';
import { startLocalCluster, waitForMembers } from '../testnet/local/cluster.js';
import { cpuSeconds } from './proc-stats.js';

/**
 * One write burst on the tree it runs in (bench/write-burst.ts copies it into an older
 * one): three local nodes (plain processes), WRITES workloads of no replicas applied
 * through one node by 8 writers at once, until every node holds the last; prints the
 * burst's seconds and the CPU seconds the three nodes spent on it, as JSON.
 */
const WRITES = Number(process.env.WRITES ?? 800);
const WRITERS = 8;

const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-burst-'));
const cluster = await startLocalCluster({ dir, nodes: 3, args: ['--runtime', 'process'] });
try {
  for (const node of cluster.nodes) await waitForMembers(node.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 30_000);
  // Past the start's own work (joins, announcements, the first plans).
  await new Promise((r) => setTimeout(r, 10_000));
  const key = loadOperatorKey(cluster.operatorKey);
  const client = new ApiClient(cluster.nodes[0]?.api as string, key);
  const cpuBefore = cluster.nodes.map((n) => cpuSeconds(n.child.pid as number));
  const startedAt = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let i = next++; i < WRITES; i = next++) await writeOps(client, key, [{ key: `Workload/default/w${i}`, set: { 'spec.image': 'busybox', 'spec.replicas': 0 } }]);
    }),
  );
  const read = signedFetch(key);
  for (const node of cluster.nodes) {
    while (!(await read(`${node.api}/v1/objects/Workload/default/w${WRITES - 1}`)).ok) await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const nodeCpuS = cluster.nodes.reduce((sum, n, i) => sum + cpuSeconds(n.child.pid as number) - (cpuBefore[i] as number), 0);
  console.log(JSON.stringify({ writes: WRITES, seconds: Math.round(seconds * 100) / 100, nodeCpuS: Math.round(nodeCpuS * 100) / 100 }));
} finally {
  await cluster.stop(0);
  rmSync(dir, { recursive: true, force: true });
}

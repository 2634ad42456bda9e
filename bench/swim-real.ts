import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, waitForMembers } from '../testnet/local/cluster.js';
import { cpuSeconds, rssMb } from './proc-stats.js';
import { percentile, round } from './stats.js';

export interface IdleNodeFigures {
  nodes: number;
  idleSeconds: number;
  rssMb: { p50: number | null; max: number | null };
  cpuPercentOfOneCore: { p50: number | null; max: number | null };
}

/** A 5-node loopback cluster with the LAN preset, left idle: what one node costs at rest. */
export async function idleNode(nodes = 5, idleSeconds = 30): Promise<IdleNodeFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-'));
  const cluster = await startLocalCluster({ dir, nodes, preset: 'lan' });
  try {
    await waitForMembers(cluster.nodes[0]!.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === nodes, 30_000);
    await new Promise((r) => setTimeout(r, 5_000));
    const pids = cluster.nodes.map((n) => n.child.pid!);
    const before = pids.map(cpuSeconds);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const cpu = pids.map((pid, i) => ((cpuSeconds(pid) - before[i]!) / idleSeconds) * 100);
    const rss = pids.map(rssMb);
    return {
      nodes,
      idleSeconds,
      rssMb: { p50: round(percentile(rss, 50), 1), max: round(Math.max(...rss), 1) },
      cpuPercentOfOneCore: { p50: round(percentile(cpu, 50)), max: round(Math.max(...cpu)) },
    };
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

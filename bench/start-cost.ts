import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ClusterModule from '../testnet/local/cluster.js';
import { inTurns, inTurnsHeader } from './base-worktree.js';
import { cpuSeconds, peakRssMb, rssMb } from './proc-stats.js';
import { spread, type Spread } from './stats.js';

/**
 * `npm run bench:start-cost`: what nodes cost to start and in their first seconds, on
 * this tree and on another commit (SHOAL_BASE, default 3b2fdef, which "Footprint" step 14
 * compared a tree without V8's --optimize-for-size against), in turn: ROUNDS (default 4)
 * clusters of NODES (default 3) on each, alternating which goes first, at PRESET (default
 * `local`, the tests' and the quick start's) with the process runtime. Taken per node:
 * CPU seconds from its start until every node of its cluster lists all of them alive,
 * and AFTER_S (default 10) later; its RSS each second of those AFTER_S, and its highest
 * RSS since it started (VmHWM) at their end. Prints JSON.
 */
const BASE = process.env.SHOAL_BASE ?? '3b2fdef';
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const NODES = Number(process.env.NODES ?? 3);
const PRESET = (process.env.PRESET ?? 'local') as 'local' | 'lan' | 'edge';
const AFTER_S = Number(process.env.AFTER_S ?? 10);
const JOIN_TIMEOUT_MS = 90_000;

interface Samples {
  toAliveCpuS: number[];
  laterCpuS: number[];
  rssMb: number[];
  peakRssMb: number[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function oneCluster(tree: string, into: Samples): Promise<void> {
  const { startLocalCluster, waitForMembers } = (await import(join(tree, 'testnet/local/cluster.ts'))) as typeof ClusterModule;
  const dir = mkdtempSync(join(tmpdir(), 'shoal-start-cost-'));
  const cluster = await startLocalCluster({ dir, nodes: NODES, preset: PRESET, args: ['--runtime', 'process'] });
  try {
    await Promise.all(
      cluster.nodes.map((node) => waitForMembers(node.api, cluster.operatorKey, (members) => members.filter((m) => m.state === 'alive').length === NODES, JOIN_TIMEOUT_MS)),
    );
    const pids = cluster.nodes.map((n) => n.child.pid as number);
    into.toAliveCpuS.push(...pids.map(cpuSeconds));
    for (let s = 0; s < AFTER_S; s++) {
      await sleep(1000);
      into.rssMb.push(...pids.map(rssMb));
    }
    into.laterCpuS.push(...pids.map(cpuSeconds));
    into.peakRssMb.push(...pids.map(peakRssMb));
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const figures = (s: Samples): Record<keyof Samples, Spread> => ({
  toAliveCpuS: spread(s.toAliveCpuS, 2),
  laterCpuS: spread(s.laterCpuS, 2),
  rssMb: spread(s.rssMb, 1),
  peakRssMb: spread(s.peakRssMb, 1),
});

// Each tree's nodes run its own build (bin/shoal.js loads its dist/).
const samples: [Samples, Samples] = [
  { toAliveCpuS: [], laterCpuS: [], rssMb: [], peakRssMb: [] },
  { toAliveCpuS: [], laterCpuS: [], rssMb: [], peakRssMb: [] },
];
await inTurns(BASE, ROUNDS, (tree, which) => oneCluster(tree, samples[which]));
const [before, after] = samples.map(figures);
console.log(
  JSON.stringify(
    {
      ...inTurnsHeader(BASE, ROUNDS),
      nodes: NODES,
      preset: PRESET,
      afterS: AFTER_S,
      before,
      after,
    },
    null,
    2,
  ),
);
process.exit(0);

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signedFetch } from '../cli/client.js';
import type * as ClusterModule from '../testnet/local/cluster.js';
import type * as ShoalProcessModule from '../testnet/local/shoal-process.js';
import { inTurns, inTurnsHeader } from './base-worktree.js';
import { cpuSeconds } from './proc-stats.js';
import { spread, type Spread } from './stats.js';

/**
 * `npm run bench:unstartable`: what a workload no node can start costs a cluster, on this
 * tree and on another commit (SHOAL_BASE, default fdc527e: before a stopped status kept
 * its placement's failure), beside a workload that starts. NODES (default 5) nodes on the
 * process runtime and the `local` preset are given REPLICAS (default 7) replicas of a
 * workload without a command (every start fails) or of `sleep`; SETTLE_S (default 10)
 * later, for WINDOW_S (default 30): each node's share of a core, and the deltas the first
 * node took in (every write anywhere is one more there). ROUNDS (default 2) of each, the
 * trees in turn. Prints JSON.
 */
const BASE = process.env.SHOAL_BASE ?? 'fdc527e';
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const NODES = Number(process.env.NODES ?? 5);
const REPLICAS = Number(process.env.REPLICAS ?? 7);
const SETTLE_S = Number(process.env.SETTLE_S ?? 10);
const WINDOW_S = Number(process.env.WINDOW_S ?? 30);
const JOIN_TIMEOUT_MS = 90_000;

type Kind = 'unstartable' | 'startable';

interface Samples {
  cpuPercent: number[];
  deltasPerS: number[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function deltasHeld(api: string, operatorKey: string): Promise<number> {
  const text = await (await signedFetch(operatorKey)(`${api}/metrics`)).text();
  return Number(/^shoal_state_deltas (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
}

async function oneCluster(tree: string, kind: Kind, into: Samples): Promise<void> {
  const { startLocalCluster, waitForMembers } = (await import(join(tree, 'testnet/local/cluster.ts'))) as typeof ClusterModule;
  const { runShoal } = (await import(join(tree, 'testnet/local/shoal-process.ts'))) as typeof ShoalProcessModule;
  const dir = mkdtempSync(join(tmpdir(), 'shoal-unstartable-'));
  const cluster = await startLocalCluster({ dir: join(dir, 'c'), nodes: NODES, args: ['--runtime', 'process'] });
  try {
    await Promise.all(
      cluster.nodes.map((node) => waitForMembers(node.api, cluster.operatorKey, (members) => members.filter((m) => m.state === 'alive').length === NODES, JOIN_TIMEOUT_MS)),
    );
    const manifest = join(dir, 'workload.yaml');
    const command = kind === 'startable' ? ', command: [sleep, "3600"]' : '';
    writeFileSync(manifest, `apiVersion: shoal/v1\nkind: Workload\nmetadata: {name: bench}\nspec: {image: busybox, replicas: ${REPLICAS}${command}}\n`);
    const applied = await runShoal(['apply', '-f', manifest, '--api', cluster.nodes[0]?.apiAddress as string, '--key', cluster.operatorKey]);
    if (applied.code !== 0) throw new Error(`shoal apply failed: ${applied.stderr}`);
    await sleep(SETTLE_S * 1000);
    const pids = cluster.nodes.map((n) => n.child.pid as number);
    const first = cluster.nodes[0]?.api as string;
    const [cpu0, deltas0, t0] = [pids.map(cpuSeconds), await deltasHeld(first, cluster.operatorKey), performance.now()];
    await sleep(WINDOW_S * 1000);
    const seconds = (performance.now() - t0) / 1000;
    into.cpuPercent.push(...pids.map((pid, i) => (100 * (cpuSeconds(pid) - (cpu0[i] as number))) / seconds));
    into.deltasPerS.push(((await deltasHeld(first, cluster.operatorKey)) - deltas0) / seconds);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const KINDS: readonly Kind[] = ['unstartable', 'startable'];
const empty = (): Record<Kind, Samples> => ({ unstartable: { cpuPercent: [], deltasPerS: [] }, startable: { cpuPercent: [], deltasPerS: [] } });
const figures = (byKind: Record<Kind, Samples>): Record<Kind, { cpuPercentPerNode: Spread; deltasPerS: Spread }> =>
  Object.fromEntries(KINDS.map((k) => [k, { cpuPercentPerNode: spread(byKind[k].cpuPercent, 1), deltasPerS: spread(byKind[k].deltasPerS, 1) }])) as Record<
    Kind,
    { cpuPercentPerNode: Spread; deltasPerS: Spread }
  >;

// Each tree's nodes run its own build (bin/shoal.js loads its dist/).
const samples = [empty(), empty()] as const;
await inTurns(BASE, ROUNDS, async (tree, which) => {
  for (const kind of KINDS) await oneCluster(tree, kind, samples[which][kind]);
});
const [before, after] = samples.map(figures);
console.log(
  JSON.stringify(
    {
      ...inTurnsHeader(BASE, ROUNDS),
      nodes: NODES,
      replicas: REPLICAS,
      settleS: SETTLE_S,
      windowS: WINDOW_S,
      before,
      after,
    },
    null,
    2,
  ),
);
process.exit(0);

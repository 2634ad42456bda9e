import { join } from 'node:path';
import type { schedulerConfig as SchedulerConfigs } from '../protocol/scheduler/config.js';
import type { workloadOf as WorkloadOf } from '../testnet/sim/scheduling/workloads.js';
import type { SchedulingSimulation as Simulation } from '../testnet/sim/scheduling/simulation.js';
import { headCommit, withBaseWorktree } from './base-worktree.js';
import { round } from './stats.js';

/**
 * `npm run bench:unschedulable`: what a replica no node can take costs, and how soon it is
 * placed once room is freed, in the simulator (the schedulers unchanged, local preset):
 * five full nodes (20 replicas of 1 CPU on 4 CPUs each) and one more replica of 1 CPU,
 * for UNSCHEDULABLE_HOURS of virtual time (default 24); then one filler replica goes, at
 * a moment ROOM_AT_S after a whole minute (default 100 s, away from the retries), and the
 * time until the slot is placed is taken. Side by side, the simulator and schedulers of
 * SHOAL_BASE (default dba76a7: a 30 s cap, no retry on room freed) and of this tree. Each
 * empty auction is a claim every node keeps for good. Over SHOAL_BENCH_SEEDS seeds
 * (default 5).
 */
const BASE = process.env.SHOAL_BASE ?? 'dba76a7';
const HOURS = Number(process.env.UNSCHEDULABLE_HOURS ?? 24);
const ROOM_AT_S = Number(process.env.ROOM_AT_S ?? 100);
const SEEDS = Number(process.env.SHOAL_BENCH_SEEDS ?? 5);
const GiB = 1024 ** 3;

interface Tree {
  SchedulingSimulation: typeof Simulation;
  workloadOf: typeof WorkloadOf;
  schedulerConfig: typeof SchedulerConfigs;
}

const load = async (tree: string): Promise<Tree> => ({
  SchedulingSimulation: (await import(join(tree, 'testnet/sim/scheduling/simulation.ts'))).SchedulingSimulation,
  workloadOf: (await import(join(tree, 'testnet/sim/scheduling/workloads.ts'))).workloadOf,
  schedulerConfig: (await import(join(tree, 'protocol/scheduler/config.ts'))).schedulerConfig,
});

function run(seed: number, { SchedulingSimulation, workloadOf, schedulerConfig }: Tree): { emptyClaims: number; placedAfterMs: number } {
  const fill = workloadOf({ name: 'fill', replicas: 20, cpuMillis: 1000, memoryBytes: GiB / 4 });
  const late = workloadOf({ name: 'late', replicas: 1, cpuMillis: 1000, memoryBytes: GiB / 4 });
  let emptyClaims = 0;
  const sim = new SchedulingSimulation({
    seed,
    nodes: 5,
    config: schedulerConfig.local(),
    onWrite: (_node, ops) => {
      for (const op of ops) if (op.kind === 'claim' && op.slot.startsWith(late.key) && 'unschedulable' in op.claim) emptyClaims++;
    },
  });
  sim.apply([fill]);
  sim.run(10_000);
  sim.apply([late]);
  const endMs = 10_000 + HOURS * 3_600_000;
  sim.run(endMs);
  const claims = emptyClaims;
  const freedAtMs = endMs + ROOM_AT_S * 1000;
  sim.run(freedAtMs);
  sim.apply([{ ...fill, replicas: 19 }]);
  const slot = `${late.key}#0`;
  let placedAfterMs = Number.NaN;
  for (let t = 100; t <= 10 * 60_000; t += 100) {
    sim.run(freedAtMs + t);
    if (sim.planOf('n0').placed.some((p) => `${p.workload.key}#${p.index}` === slot)) {
      placedAfterMs = t;
      break;
    }
  }
  return { emptyClaims: claims, placedAfterMs };
}

function figures(tree: Tree) {
  const runs = Array.from({ length: SEEDS }, (_, i) => run(i + 1, tree));
  const perDay = runs.map((r) => (r.emptyClaims / HOURS) * 24);
  const placed = runs.map((r) => r.placedAfterMs);
  return {
    retryMaxMs: tree.schedulerConfig.local().retryMaxMs,
    emptyClaimsPerDay: { min: round(Math.min(...perDay), 0), max: round(Math.max(...perDay), 0) },
    placedAfterRoomFreedMs: { min: Math.min(...placed), max: Math.max(...placed) },
  };
}

const started = performance.now();
const base = await withBaseWorktree(BASE, [], async (tree) => figures(await load(tree)));
const now = figures(await load(process.cwd()));
const commit = headCommit();
console.log(
  JSON.stringify(
    { preset: 'local', nodes: 5, hours: HOURS, seeds: SEEDS, roomFreedAtS: ROOM_AT_S, [BASE]: base, [commit]: now, wallS: round((performance.now() - started) / 1000, 1) },
    null,
    2,
  ),
);

import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { withBaseWorktree } from './base-worktree.js';
import { percentile, round } from './stats.js';

/**
 * `npm run bench:write-burst`: what a burst of writes costs the nodes that take it, on
 * this tree and on an older commit (SHOAL_BASE, default 23afce1: before the document kept
 * its values between changes), side by side: ROUNDS (default 3) bursts on each, taken in
 * turn so a change in the machine's load falls on both (bench/write-burst-run.ts).
 * Prints JSON: each tree's median burst seconds and node CPU seconds.
 */
const BASE = process.env.SHOAL_BASE ?? '23afce1';
const ROUNDS = Number(process.env.ROUNDS ?? 3);

interface Burst {
  seconds: number;
  nodeCpuS: number;
}

function burstOn(tree: string): Burst {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/write-burst-run.ts'], { cwd: tree, encoding: 'utf8', env: process.env });
  if (run.status !== 0) throw new Error(`write burst failed in ${tree}: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() as string) as Burst;
}

const median = (bursts: Burst[]) => ({
  seconds:
    percentile(
      bursts.map((b) => b.seconds),
      50,
    ) ?? Number.NaN,
  nodeCpuS:
    percentile(
      bursts.map((b) => b.nodeCpuS),
      50,
    ) ?? Number.NaN,
  runs: bursts,
});

// The nodes run each tree's own build (bin/shoal.js loads its dist/).
const [b, a] = await withBaseWorktree(
  BASE,
  ['bench/write-burst-run.ts'],
  (base) => {
    const before: Burst[] = [];
    const after: Burst[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      before.push(burstOn(base));
      after.push(burstOn(process.cwd()));
    }
    return [median(before), median(after)] as const;
  },
  { build: true },
);
console.log(
  JSON.stringify(
    {
      machine: `${cpus().length} × ${cpus()[0]?.model}`,
      writes: Number(process.env.WRITES ?? 800),
      base: BASE,
      before: b,
      after: a,
      nodeCpuRatio: round(a.nodeCpuS / b.nodeCpuS),
    },
    null,
    2,
  ),
);

import '../node/polyfill.js';
import { cpus, loadavg } from 'node:os';
import type { SchedulingPolicy } from '../protocol/auction/candidate.js';
import { realScheduling } from './sched-real.js';
import { runScenario } from './sched-scenario.js';

/**
 * `npm run bench:sched`: scheduling figures as JSON. The simulator runs the schedulers
 * unchanged on N nodes with their own document replicas and a 1-10 ms network; the
 * packing is compared with a central greedy scheduler run on the same input.
 * Flags: --nodes N (default 1000), --replicas R (default 10000, a multiple of 20),
 * --policy spread|binpack (default both), --arrive-over-ms T (default 0: all at once;
 * else one workload at a time over T ms, through the nodes in turn, so the nodes' views
 * differ while auctions run), --sim-only (skip the real nodes), --real-only (skip the
 * simulator). Each figure
 * goes to stderr as it is measured. Then real loopback nodes with Docker: submit to
 * running, and a crashed node's replicas running elsewhere (bench/sched-real.ts).
 */
const flag = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
};
const nodes = Number(flag('nodes') ?? 1000);
const replicas = Number(flag('replicas') ?? 10_000);
const policies: SchedulingPolicy[] = flag('policy') === undefined ? ['spread', 'binpack'] : [flag('policy') as SchedulingPolicy];
const seed = Number(process.env.SHOAL_SIM_SEED ?? 20261124);

const scenarios = (process.argv.includes('--real-only') ? [] : policies).map((policy) => {
  const figures = runScenario({ seed, nodes, replicas, policy, limitMs: 120_000, arrivalMs: Number(flag('arrive-over-ms') ?? 0) });
  console.error(JSON.stringify(figures));
  return figures;
});

const real = process.argv.includes('--sim-only') ? undefined : await realScheduling();

console.log(
  JSON.stringify(
    {
      real,
      machine: { cores: cpus().length, node: process.version, date: new Date().toISOString().slice(0, 10), loadAverage1m: Number(loadavg()[0]?.toFixed(2)) },
      network: 'answers and document writes 1-10 ms uniform, no loss; ticks every 100 ms; scheduler preset lan',
      scenarios,
    },
    null,
    2,
  ),
);

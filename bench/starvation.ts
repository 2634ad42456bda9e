import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStarvation, type StarvationResult } from '../test/integration/starvation-scenario.js';

/**
 * `npm run bench:starvation`: the starvation scenario of test/integration/starvation.test.ts
 * (five nodes, each in a cgroup allowed a quarter of a core, one busy process per core
 * beside them, a replicated workload and a Job every 20 s) for SHOAL_STARVATION_MINUTES
 * (default 10), once with the nodes' lag awareness off (SHOAL_SWIM_LAG_AWARENESS=off:
 * Lifeguard as memberlist has it) and once with it on, as JSON: deaths the nodes held (every
 * node was alive, so all are false), Job indexes and slots run twice, writes missing at the
 * end, the worst event-loop lag the nodes read. SHOAL_STARVATION_RUNS=on,off picks the runs.
 */
const minutes = Number(process.env.SHOAL_STARVATION_MINUTES ?? 10);
const runs = (process.env.SHOAL_STARVATION_RUNS ?? 'off,on').split(',').map((r) => r.trim() === 'on');

function figures(result: StarvationResult): object {
  return {
    lagAwareness: result.lagAwareness,
    falseDeaths: result.deathsByNode.reduce((sum, n) => sum + n, 0),
    falseDeathsByNode: result.deathsByNode,
    deadSeenInSamples: result.deadSeen.length,
    jobIndexesRunTwice: result.jobIndexesRunTwice.length,
    slotsRunTwice: result.slotsRunTwice.length,
    writesMissing: result.writes.missing.length,
    writesAcknowledged: result.writes.acknowledged,
    writesUnacknowledged: result.writes.unacknowledged.length,
    jobs: result.jobs,
    worstLagMs: result.worstLagMs,
    throttledS: result.throttledS,
    samples: result.samples,
    examples: { deadSeen: result.deadSeen.slice(0, 5), jobIndexesRunTwice: result.jobIndexesRunTwice.slice(0, 5), slotsRunTwice: result.slotsRunTwice.slice(0, 5) },
  };
}

const commit = (): string => {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} + working tree` : head;
  } catch {
    return 'unknown';
  }
};

const load = (): number[] => loadavg().map((l) => Math.round(l * 10) / 10);

const startedMs = Date.now();
const results: object[] = [];
let quotas = '';
for (const lagAwareness of runs) {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-starvation-'));
  try {
    // The host's own load before the run (other work beside it changes what a quota leaves).
    const loadBefore = load();
    const result = await runStarvation({ dir, durationMs: minutes * 60_000, lagAwareness, log: (line) => console.error(`[lag awareness ${lagAwareness ? 'on' : 'off'}] ${line}`) });
    quotas = result.quotas;
    results.push({ ...figures(result), loadAverageBefore: loadBefore, loadAverageAfter: load() });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(
  JSON.stringify(
    {
      machine: { cores: cpus().length, model: cpus()[0]?.model, node: process.version },
      date: new Date().toISOString().slice(0, 10),
      commit: commit(),
      minutes,
      nodes: 5,
      cpuShare: 0.25,
      hogs: cpus().length,
      quotas,
      tookMinutes: Math.round((Date.now() - startedMs) / 6_000) / 10,
      runs: results,
    },
    null,
    2,
  ),
);

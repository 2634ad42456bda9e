import Dockerode from 'dockerode';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAULTS } from '../testnet/docker/scenario/faults.js';
import type { ScenarioResult } from '../testnet/docker/scenario/runner.js';
import { runSuite } from '../testnet/docker/scenario/suite.js';
import { percentile, round } from './stats.js';

/**
 * `npm run bench:faults`: the whole fault set on a 5-node Docker testnet, each fault
 * SHOAL_FAULTS_REPEATS times (default 3), as JSON per fault: time to converge after the
 * heal, the window during which a slot ran twice (and the part of it under the majority
 * policy), writes acknowledged and lost. Each scenario's report goes to stderr as it ends.
 * SHOAL_FAULTS_ONLY=TEXT runs only the faults whose name contains TEXT.
 */
const repeats = Number(process.env.SHOAL_FAULTS_REPEATS ?? 3);
const faults = FAULTS.filter((f) => f.name.includes(process.env.SHOAL_FAULTS_ONLY ?? ''));
const outDir = mkdtempSync(join(tmpdir(), 'shoal-bench-faults-'));

function perFault(name: string, runs: readonly ScenarioResult[]): object {
  const converged = runs.flatMap((r) => (r.figures.convergenceAfterHealS === null ? [] : [r.figures.convergenceAfterHealS]));
  const windows = runs.map((r) => r.figures.duplicateWindowS);
  const majorityWindows = runs.map((r) => r.figures.majorityDuplicateWindowS);
  return {
    fault: name,
    runs: runs.length,
    convergenceAfterHealS: { p50: round(percentile(converged, 50), 1), p99: round(percentile(converged, 99), 1), notConverged: runs.length - converged.length },
    duplicateWindowS: { p50: round(percentile(windows, 50), 1), max: round(percentile(windows, 100), 1) },
    majorityDuplicateWindowS: { p50: round(percentile(majorityWindows, 50), 1), max: round(percentile(majorityWindows, 100), 1) },
    writesAcked: runs.reduce((sum, r) => sum + r.figures.writes.acknowledged, 0),
    writesLost: runs.reduce((sum, r) => sum + r.figures.writes.lost, 0),
    // Under a fault that keeps every node up (skew, loss, slow) every one is false.
    membersHeldDead: runs.reduce((sum, r) => sum + r.figures.deathsHeld, 0),
    checksPassed: runs.filter((r) => r.passed).length,
  };
}

const startedMs = Date.now();
const { results, failure } = await runSuite(new Dockerode(), {
  nodes: 5,
  faults,
  repeats,
  seed: Number(process.env.SHOAL_FAULTS_SEED ?? 1),
  clients: 3,
  poolSize: 2,
  boundMs: 60_000,
  outDir,
  name: 'shoal-bench-faults',
  reuse: false,
  log: (line) => console.error(line),
});
const figures = {
  machine: { cores: cpus().length, node: process.version, date: new Date().toISOString().slice(0, 10) },
  nodes: 5,
  repeats,
  minutes: round((Date.now() - startedMs) / 60_000, 1),
  results: outDir,
  faults: faults.map((f) =>
    perFault(
      f.name,
      results.filter((r) => r.fault.name === f.name),
    ),
  ),
  failure,
};
console.log(JSON.stringify(figures, null, 2));

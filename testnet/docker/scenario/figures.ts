import { writesLost, type CheckResults } from './checker.js';
import { BASELINE_CLIENT, type History } from './history.js';
import { duplicateSeconds, duplicateWindows, type DuplicateWindow, type Sample } from './timeline.js';

/** The figures of one scenario that docs/benchmarks.md reports per fault. */
export interface ScenarioFigures {
  /** Seconds from the heal until the cluster converged for good; null where it did not within the bound. */
  convergenceAfterHealS: number | null;
  /** Seconds during which at least one slot ran twice, from the clients' start to the snapshot. */
  duplicateWindowS: number;
  /** The same, counting only workloads under `partitionPolicy: majority`, which promises none. */
  majorityDuplicateWindowS: number;
  duplicateWindows: DuplicateWindow[];
  /** The concurrent clients' writes; the runner's own baseline writes are not counted. */
  writes: { requested: number; acknowledged: number; failed: number; lost: number };
  /**
   * Members the nodes held dead from the clients' start to the end, summed over nodes (each
   * node's swim.deaths counter, risen): under a kill or a pause the dead are real; under a
   * fault that keeps every node up, every one is false (the alive check).
   */
  deathsHeld: number;
  /** Per node, the worst event-loop lag it read up to its last sample (since it started), ms; null where never sampled. */
  worstLagMs: (number | null)[];
}

export interface FigureInputs {
  history: History;
  samples: readonly Sample[];
  checks: CheckResults;
  /** The clients' start: samples before it belong to the settling before the scenario. */
  fromMs: number;
  healedMs: number;
  convergedMs: number | null;
  /** Keys of the workloads under the majority policy. */
  majority: ReadonlySet<string>;
}

export function scenarioFigures(inputs: FigureInputs): ScenarioFigures {
  const windows = duplicateWindows(inputs.samples.filter((s) => s.atMs >= inputs.fromMs));
  const requests = inputs.history.ops.filter((op) => op.client !== BASELINE_CLIENT);
  const acknowledged = requests.filter((op) => op.result.ok).length;
  return {
    convergenceAfterHealS: inputs.convergedMs === null ? null : Math.max(0, inputs.convergedMs - inputs.healedMs) / 1000,
    duplicateWindowS: duplicateSeconds(windows),
    majorityDuplicateWindowS: duplicateSeconds(windows.filter((w) => inputs.majority.has(w.slot.slice(0, w.slot.lastIndexOf('#'))))),
    duplicateWindows: windows,
    writes: { requested: requests.length, acknowledged, failed: requests.length - acknowledged, lost: writesLost(inputs.checks) },
    deathsHeld: deathsHeld(inputs.samples, inputs.fromMs),
    worstLagMs: (inputs.samples.at(-1)?.worstLagMs ?? []).map((_, i) => inputs.samples.map((s) => s.worstLagMs?.[i] ?? null).findLast((v) => v !== null) ?? null),
  };
}

/** Each node's death counter from its last sample before `fromMs` to its last sample, risen, summed; a node restarted (its counter back to 0) counts from there. */
function deathsHeld(samples: readonly Sample[], fromMs: number): number {
  const nodes = samples[0]?.deaths?.length ?? 0;
  const deathsOf = (s: Sample, i: number): number | undefined => s.deaths?.[i] ?? undefined;
  let total = 0;
  for (let i = 0; i < nodes; i++) {
    let last = samples
      .filter((s) => s.atMs < fromMs)
      .map((s) => deathsOf(s, i))
      .findLast((d) => d !== undefined);
    for (const sample of samples.filter((s) => s.atMs >= fromMs)) {
      const d = deathsOf(sample, i);
      if (d === undefined) continue;
      total += last === undefined ? d : d >= last ? d - last : d;
      last = d;
    }
  }
  return total;
}

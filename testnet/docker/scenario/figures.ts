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
  };
}

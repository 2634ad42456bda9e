/**
 * Kubernetes' replica calculation (the HorizontalPodAutoscaler's), for one metric:
 * desired = ceil(ratio x replicas measured), where ratio is what the replicas use over
 * what they should. A ratio within the tolerance of 1 changes nothing. Replicas with no
 * reading yet (just started, or across a partition) count against the move: as using
 * nothing when scaling up, as on target when scaling down, so neither a replica that is
 * still starting nor one this node cannot see makes the count overshoot.
 */
export const TOLERANCE = 0.1;

export interface MetricReading {
  /** What the replica uses, in the metric's unit. */
  value: number;
  /** What it should use: its request x the target percent, or the custom target. */
  target: number;
}

export interface MetricInput {
  /** The replicas the workload has now. */
  current: number;
  /** Readings of the replicas that have one (slots below `current` only). */
  readings: readonly MetricReading[];
  /** What one replica should use, for those with no reading. */
  targetPerReplica: number;
}

export interface Recommendation {
  replicas: number;
  /** What the measured replicas use against their target, as a percent (100 = on target). */
  percentOfTarget: number;
}

const ratioOf = (readings: readonly MetricReading[]): number => {
  const target = readings.reduce((a, r) => a + r.target, 0);
  return target > 0 ? readings.reduce((a, r) => a + r.value, 0) / target : 1;
};

/** The count this metric asks for; undefined where no replica has a reading, so nothing is known. */
export function recommend({ current, readings, targetPerReplica }: MetricInput): Recommendation | undefined {
  if (readings.length === 0 || current === 0) return undefined;
  const ratio = ratioOf(readings);
  const percentOfTarget = ratio * 100;
  const missing = Math.max(0, current - readings.length);
  if (missing === 0) return { replicas: Math.abs(1 - ratio) <= TOLERANCE ? current : Math.ceil(ratio * readings.length), percentOfTarget };
  const fill = ratio > 1 ? 0 : targetPerReplica;
  const all = [...readings, ...Array.from({ length: missing }, () => ({ value: fill, target: targetPerReplica }))];
  const fuller = ratioOf(all);
  // Filling in the missing ones turned the move around, or left it within tolerance: hold.
  if (Math.abs(1 - fuller) <= TOLERANCE || (ratio < 1 && fuller > 1) || (ratio > 1 && fuller < 1)) return { replicas: current, percentOfTarget };
  const replicas = Math.ceil(fuller * all.length);
  if ((fuller < 1 && replicas > current) || (fuller > 1 && replicas < current)) return { replicas: current, percentOfTarget };
  return { replicas, percentOfTarget };
}

import type { AutoscaleDecision } from '../node-writes.js';
import type { AutoscaleSpec } from '../manifests/workload.js';
import { decidersOf } from './decider.js';
import type { AutoscalePolicy } from './policy.js';
import { recommend, type MetricReading } from './recommend.js';
import { Stabilisation } from './stabilisation.js';

/** What one replica uses, as the usage book has it. */
export interface ReplicaReading {
  slot: number;
  cpuMillis: number;
  memoryBytes: number;
  /** Custom metrics the replica served, by name. */
  custom?: Readonly<Record<string, number>>;
}

export interface AutoscaledWorkload {
  key: string;
  policy: AutoscalePolicy;
  bounds: { min: number; max: number };
  /** The replicas it has now: the latest counted decision, or the operator's count, within the bounds. */
  current: number;
  /** Readings of its replicas, one per slot at most. */
  readings: readonly ReplicaReading[];
  /** The decision the document counts, if any. */
  decision: AutoscaleDecision | undefined;
}

export interface MetricStatus {
  metric: string;
  /** Percent of the request for cpu and memory; the replicas' average for a custom metric. Undefined: nothing measured. */
  value: number | undefined;
  target: number;
  /** How many replicas had a reading of it. */
  measured: number;
}

export interface AutoscalerStatus {
  workload: string;
  min: number;
  max: number;
  current: number;
  /** What the metrics ask for now, before the windows; undefined where nothing was measured. */
  recommended: number | undefined;
  /** Where the windows and bounds let it go now. */
  desired: number;
  metrics: MetricStatus[];
  /** The member that decides for this workload, as this node sees the live members. */
  decider: string | undefined;
  decision: AutoscaleDecision | undefined;
}

export interface AutoscaleWrite {
  workload: string;
  decision: AutoscaleDecision;
  from: number;
}

export interface AutoscalerRound {
  statuses: AutoscalerStatus[];
  /** Decisions this node must write: it is the workload's decider and the count must move. */
  writes: AutoscaleWrite[];
}

type Metric = AutoscaleSpec['metrics'][number];

interface Measured {
  status: MetricStatus;
  recommended: number | undefined;
}

function measure(metric: Metric, w: AutoscaledWorkload): Measured {
  const { current, readings, policy } = w;
  let name: string;
  let target: number;
  let perReplicaTarget: number;
  let values: (number | undefined)[];
  if ('cpu' in metric) {
    name = 'cpu';
    target = metric.cpu.targetPercent;
    perReplicaTarget = (policy.requests.cpuMillis * target) / 100;
    values = readings.map((r) => r.cpuMillis);
  } else if ('memory' in metric) {
    name = 'memory';
    target = metric.memory.targetPercent;
    perReplicaTarget = (policy.requests.memoryBytes * target) / 100;
    values = readings.map((r) => r.memoryBytes);
  } else {
    name = metric.custom.name;
    target = metric.custom.target;
    perReplicaTarget = target;
    values = readings.map((r) => r.custom?.[metric.custom.name]);
  }
  const measured: MetricReading[] = values.flatMap((value) => (value === undefined ? [] : [{ value, target: perReplicaTarget }]));
  const recommendation = recommend({ current, readings: measured, targetPerReplica: perReplicaTarget });
  // cpu and memory as percent of the request; a custom metric as the replicas' average.
  const value = recommendation === undefined ? undefined : (recommendation.percentOfTarget * target) / 100;
  return { status: { metric: name, value, target, measured: measured.length }, recommended: recommendation?.replicas };
}

/**
 * Every node runs one: each round it measures every autoscaled workload, keeps the
 * recommendation in that workload's windows, and, for the workloads it decides (the first
 * of the live members in the workload's rendezvous order), says which decisions to write.
 * Nothing here reads a clock or the network: the node hands in the round's inputs.
 */
export class Autoscaler {
  private readonly windows = new Map<string, Stabilisation>();
  /** What this node last wrote for a workload, so a write still on its way is not repeated. */
  private readonly written = new Map<string, { replicas: number; atMs: number }>();

  constructor(private readonly rewriteAfterMs = 30_000) {}

  round(nowMs: number, self: string, liveMembers: readonly string[], workloads: readonly AutoscaledWorkload[]): AutoscalerRound {
    const statuses: AutoscalerStatus[] = [];
    const writes: AutoscaleWrite[] = [];
    const present = new Set(workloads.map((w) => w.key));
    for (const key of this.windows.keys()) if (!present.has(key)) this.forget(key);
    for (const w of workloads) {
      const measured = w.policy.spec.metrics.map((m) => measure(m, w));
      const asked = measured.flatMap((m) => (m.recommended === undefined ? [] : [m.recommended]));
      // Several metrics: the one that asks for the most replicas, as Kubernetes does; with
      // one unmeasured (a replica's page down), up on the others' word, never down.
      const highest = asked.length > 0 ? Math.max(...asked) : undefined;
      const recommended = asked.length === measured.length || (highest !== undefined && highest > w.current) ? highest : undefined;
      let windows = this.windows.get(w.key);
      if (windows === undefined) this.windows.set(w.key, (windows = new Stabilisation()));
      windows.record(nowMs, recommended === undefined ? undefined : clamp(recommended, w.bounds));
      const { behavior } = w.policy.spec;
      const desired =
        recommended === undefined
          ? w.current
          : clamp(windows.stabilised(nowMs, w.current, { upMs: behavior.scaleUpWindowSeconds * 1000, downMs: behavior.scaleDownWindowSeconds * 1000 }), w.bounds);
      const decider = decidersOf(w.key, liveMembers)[0];
      statuses.push({
        workload: w.key,
        min: w.bounds.min,
        max: w.bounds.max,
        current: w.current,
        recommended,
        desired,
        metrics: measured.map((m) => m.status),
        decider,
        decision: w.decision,
      });
      if (decider !== self || desired === w.current) continue;
      const last = this.written.get(w.key);
      if (last !== undefined && last.replicas === desired && nowMs - last.atMs < this.rewriteAfterMs) continue;
      const why = drivingMetric(measured, recommended as number);
      writes.push({
        workload: w.key,
        from: w.current,
        decision: { replicas: desired, decider: self, metric: why.metric, value: round2(why.value ?? 0), target: why.target, atMs: nowMs },
      });
      this.written.set(w.key, { replicas: desired, atMs: nowMs });
    }
    return { statuses, writes };
  }

  private forget(key: string): void {
    this.windows.delete(key);
    this.written.delete(key);
  }
}

const clamp = (replicas: number, { min, max }: { min: number; max: number }): number => Math.min(max, Math.max(min, replicas));
const round2 = (v: number): number => Math.round(v * 100) / 100;

/** The metric that set the count: one that asked for `recommended`, the most; among several, the furthest over its target. */
function drivingMetric(measured: readonly Measured[], recommended: number): MetricStatus {
  const ratio = (m: Measured): number => (m.status.value ?? 0) / m.status.target;
  return ([...measured].filter((m) => m.recommended === recommended).sort((a, b) => ratio(b) - ratio(a))[0] as Measured).status;
}

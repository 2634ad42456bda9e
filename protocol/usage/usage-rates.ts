import { cpuMillicores, type CpuReading } from './rate.js';
import type { ReplicaUsage } from './usage-codec.js';

/** What a runtime reads of one running replica (ContainerRuntime.usage). */
export interface ReplicaUsageSample extends CpuReading {
  /** The runtime's handle, as `list` gives it. */
  id: string;
  workload: string;
  slot: number;
  epoch: number;
  /** Memory in use now: each runtime says which measure (node/agent/runtime.ts). */
  memoryBytes: number;
}

// A runtime's odd reading (a missing field) must not cost the node its whole summary, which a receiver would refuse.
const wholeBytes = (bytes: number): number => (Number.isFinite(bytes) && bytes > 0 ? Math.min(Math.round(bytes), Number.MAX_SAFE_INTEGER) : 0);

/**
 * Turns a node's successive samples into usage: a replica's CPU is the rate between its
 * last two samples, so a replica first seen now has none yet and is left out until the
 * next round. Replicas no longer sampled are forgotten.
 */
export class UsageRates {
  private last = new Map<string, ReplicaUsageSample>();

  /** This round's usage, heaviest CPU first (what a full summary keeps), then by workload and slot. */
  next(samples: readonly ReplicaUsageSample[]): ReplicaUsage[] {
    const usage: ReplicaUsage[] = [];
    for (const sample of samples) {
      const before = this.last.get(sample.id);
      const cpuMillis = before === undefined ? undefined : cpuMillicores(before, sample);
      if (cpuMillis === undefined) continue;
      const { workload, slot, epoch } = sample;
      usage.push({ workload, slot, epoch, cpuMillis, memoryBytes: wholeBytes(sample.memoryBytes) });
    }
    this.last = new Map(samples.map((s) => [s.id, s]));
    return usage.sort((a, b) => b.cpuMillis - a.cpuMillis || (a.workload < b.workload ? -1 : a.workload > b.workload ? 1 : 0) || a.slot - b.slot || a.epoch - b.epoch);
  }
}

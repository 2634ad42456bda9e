import { utilization } from '../../protocol/auction/scores/index.js';
import type { NodeInfo, WorkloadInfo } from '../../protocol/scheduler/view.js';

export interface Packing {
  /** The busiest node's utilization, as the scores measure it: mean of CPU and memory fractions. */
  maxUtilization: number;
  stdDevUtilization: number;
  nodesUsed: number;
}

/** How a placement (slot key to node) fills the nodes. */
export function packingOf(placement: ReadonlyMap<string, string>, nodes: readonly NodeInfo[], workloads: readonly WorkloadInfo[]): Packing {
  const demand = new Map(workloads.map((w) => [w.key, w.demand.resources]));
  const used = new Map(nodes.map((n) => [n.id, { cpuMillis: 0, memoryBytes: 0 }]));
  for (const [slot, node] of placement) {
    const resources = demand.get(slot.slice(0, slot.lastIndexOf('#')));
    const sum = used.get(node);
    if (resources === undefined || sum === undefined) continue;
    sum.cpuMillis += resources.cpuMillis;
    sum.memoryBytes += resources.memoryBytes;
  }
  const levels = nodes.map((n) => utilization(used.get(n.id) as { cpuMillis: number; memoryBytes: number }, n.capacity));
  const mean = levels.reduce((a, b) => a + b, 0) / levels.length;
  const variance = levels.reduce((a, u) => a + (u - mean) ** 2, 0) / levels.length;
  return {
    maxUtilization: round(Math.max(...levels), 4),
    stdDevUtilization: round(Math.sqrt(variance), 4),
    nodesUsed: new Set(placement.values()).size,
  };
}

/** Baseline over Shoal for a lower-is-better figure: 1.0 is as good as the central scheduler, below 1 worse. */
export const ratio = (baseline: number, shoal: number): number | null => (shoal === 0 ? null : round(baseline / shoal, 3));

function round(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

import type { Candidate, Demand, SchedulingPolicy } from '../candidate.js';
import { addResources } from '../resources.js';

/** How the workload's replicas already sit over the values of its spread label. */
export interface SpreadContext {
  replicasByLabelValue: ReadonlyMap<string, number>;
}

const utilizationAfter = (demand: Demand, candidate: Candidate): number => {
  const used = addResources(candidate.allocated, demand.resources);
  const cpu = candidate.capacity.cpuMillis > 0 ? used.cpuMillis / candidate.capacity.cpuMillis : 1;
  const memory = candidate.capacity.memoryBytes > 0 ? used.memoryBytes / candidate.capacity.memoryBytes : 1;
  return (cpu + memory) / 2;
};

/** Nomad's job anti-affinity: each replica of the same workload already on the node costs. */
const sameWorkloadPenalty = (demand: Demand, candidate: Candidate): number => {
  const present = candidate.replicasByWorkload.get(demand.workload) ?? 0;
  return present / (present + 1);
};

/** Fewer replicas in the candidate's domain (zone, rack) score higher. */
function domainScore(demand: Demand, candidate: Candidate, context: SpreadContext): number {
  if (demand.spreadBy === undefined) return 1;
  const value = candidate.labels[demand.spreadBy];
  if (value === undefined) return 0;
  const here = context.replicasByLabelValue.get(value) ?? 0;
  const most = Math.max(0, ...context.replicasByLabelValue.values());
  return 1 - here / (most + 1);
}

/**
 * A candidate's score in [0, 1]. `spread` (the default) prefers the emptiest node and
 * keeps a workload's replicas apart; `binpack` fills nodes first, to leave whole
 * nodes free. With a spread label, the domain balance weighs as much as the node's load.
 */
export function score(policy: SchedulingPolicy, demand: Demand, candidate: Candidate, context: SpreadContext): number {
  const utilization = utilizationAfter(demand, candidate);
  const load = policy === 'binpack' ? utilization : (1 - utilization) * (1 - sameWorkloadPenalty(demand, candidate));
  const value = demand.spreadBy === undefined ? load : (load + domainScore(demand, candidate, context)) / 2;
  return Math.round(value * 1e9) / 1e9;
}

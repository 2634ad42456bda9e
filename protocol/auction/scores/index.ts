import type { Candidate, Demand, SchedulingPolicy } from '../candidate.js';
import { addResources, type Resources } from '../resources.js';

/** How the workload's replicas already sit over the values of its spread label. */
export interface SpreadContext {
  replicasByLabelValue: ReadonlyMap<string, number>;
}

/** A node's utilization as the scores weigh it: the mean of its CPU and memory fractions (full where it has none). */
export function utilization(used: Resources, capacity: Resources): number {
  const cpu = capacity.cpuMillis > 0 ? used.cpuMillis / capacity.cpuMillis : 1;
  const memory = capacity.memoryBytes > 0 ? used.memoryBytes / capacity.memoryBytes : 1;
  return (cpu + memory) / 2;
}

const utilizationAfter = (demand: Demand, candidate: Candidate): number => utilization(addResources(candidate.allocated, demand.resources), candidate.capacity);

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

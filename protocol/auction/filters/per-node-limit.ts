import type { Filter } from './index.js';

export const perNodeLimit: Filter = (demand, candidate) => {
  if (demand.maxPerNode === undefined) return { ok: true };
  const present = candidate.replicasByWorkload.get(demand.workload) ?? 0;
  return present < demand.maxPerNode ? { ok: true } : { ok: false, reason: 'max-per-node', detail: `${present} of at most ${demand.maxPerNode} replicas already there` };
};

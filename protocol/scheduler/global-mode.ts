import type { Demand } from '../auction/candidate.js';
import { constraintHolds } from '../auction/filters/constraints.js';
import type { NodeInfo } from './view.js';

/**
 * A global workload's replica count: one per member the constraints allow, dead members
 * included until they leave. Counting a dead member keeps its slot (unschedulable while
 * every live node holds one) instead of dropping the highest slot, which would stop a
 * healthy replica on another node only to start it again there; when the member comes
 * back, its slot is auctioned to it, the one node without a replica. Cordoned and
 * draining nodes count too: they take no new replica (the auction's filters), and a
 * member that left the cluster stops counting, as a DaemonSet's node that is deleted.
 */
export function globalReplicas(demand: Pick<Demand, 'constraints'>, nodes: ReadonlyMap<string, NodeInfo>): number {
  let count = 0;
  for (const node of nodes.values()) if (node.state !== 'left' && demand.constraints.every((c) => constraintHolds(c, node.labels))) count++;
  return count;
}

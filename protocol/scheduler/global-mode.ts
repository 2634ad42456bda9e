import type { Demand } from '../auction/candidate.js';
import { constraintHolds } from '../auction/filters/constraints.js';
import type { NodeInfo } from './view.js';

/**
 * A global workload's replica count: one per member the constraints allow, dead members
 * included until they leave. Counting a dead member keeps its slot instead of dropping
 * the highest slot, which would stop a healthy replica on another node only to start it
 * again there. The slot stays bound to the dead member (resolveSlot waits for it, as a
 * DaemonSet's pod stays with its node): a dead member may be only slow, and moving its
 * replica could only put a second one on a live node. When it comes back its slot is its
 * own again. Cordoned and draining nodes count too: they take no new replica (the
 * auction's filters), and a member that left the cluster stops counting, as a
 * DaemonSet's node that is deleted.
 */
export function globalReplicas(demand: Pick<Demand, 'constraints'>, nodes: ReadonlyMap<string, NodeInfo>): number {
  let count = 0;
  for (const node of nodes.values()) if (node.state !== 'left' && demand.constraints.every((c) => constraintHolds(c, node.labels))) count++;
  return count;
}

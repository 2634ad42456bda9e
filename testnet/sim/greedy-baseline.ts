import type { Candidate } from '../../protocol/auction/candidate.js';
import { checkFeasibility } from '../../protocol/auction/filters/index.js';
import { addResources, NO_RESOURCES, type Resources } from '../../protocol/auction/resources.js';
import { score } from '../../protocol/auction/scores/index.js';
import { auctionId, slotKey, tiebreak } from '../../protocol/auction/slot.js';
import type { NodeInfo, WorkloadInfo } from '../../protocol/scheduler/view.js';

interface Load {
  allocated: Resources;
  replicasByWorkload: Map<string, number>;
}

const NO_PORTS: ReadonlySet<number> = new Set();
const NO_SPREAD = { replicasByLabelValue: new Map<string, number>() };

/**
 * What a central scheduler with the whole cluster in one place would do, Nomad-style:
 * each replica in order, every feasible node scored with the auction's own `score`, the
 * best taken (ties broken by the auction's tie-break). Shoal's packing is measured
 * against this. Returns slot key to node.
 */
export function greedyPlacement(nodes: readonly NodeInfo[], workloads: readonly WorkloadInfo[]): Map<string, string> {
  const loads = new Map<string, Load>(nodes.map((n) => [n.id, { allocated: NO_RESOURCES, replicasByWorkload: new Map() }]));
  const placed = new Map<string, string>();
  for (const workload of workloads) {
    for (let index = 0; index < workload.replicas; index++) {
      const slot = { workload: workload.key, index };
      const best = bestNode(nodes, loads, workload, auctionId(slot, 1));
      if (best === undefined) continue;
      placed.set(slotKey(slot), best);
      const load = loads.get(best) as Load;
      load.allocated = addResources(load.allocated, workload.demand.resources);
      load.replicasByWorkload.set(workload.key, (load.replicasByWorkload.get(workload.key) ?? 0) + 1);
    }
  }
  return placed;
}

function bestNode(nodes: readonly NodeInfo[], loads: ReadonlyMap<string, Load>, workload: WorkloadInfo, auction: string): string | undefined {
  let best: { node: string; score: number; tiebreak: string | undefined } | undefined;
  for (const node of nodes) {
    const load = loads.get(node.id) as Load;
    const candidate: Candidate = {
      id: node.id,
      labels: node.labels,
      capacity: node.capacity,
      allocated: load.allocated,
      hostPortsInUse: NO_PORTS,
      schedulable: true,
      replicasByWorkload: load.replicasByWorkload,
    };
    if (!checkFeasibility(workload.demand, candidate).ok) continue;
    const value = score(workload.policy, workload.demand, candidate, NO_SPREAD);
    if (best === undefined || value > best.score) {
      best = { node: node.id, score: value, tiebreak: undefined };
      continue;
    }
    if (value < best.score) continue;
    // The tie-break is a hash: computed only for ties, which keeps a full scan cheap.
    best.tiebreak ??= tiebreak(auction, best.node);
    const mine = tiebreak(auction, node.id);
    if (mine < best.tiebreak) best = { node: node.id, score: value, tiebreak: mine };
  }
  return best?.node;
}

import type { Candidate } from '../auction/candidate.js';
import { checkFeasibility } from '../auction/filters/index.js';
import { fitsWithin, freeOf, NO_RESOURCES, type Resources } from '../auction/resources.js';
import { score, utilization } from '../auction/scores/index.js';
import { slotKey } from '../auction/slot.js';
import { fnv1a } from './fnv.js';
import { MinHeap } from './min-heap.js';
import { addReplica, type NodeLoad, type OpenAuction, type PlacedSlot, type Plan } from './plan.js';
import type { ClusterView, NodeInfo } from './view.js';

/** How many of the emptiest feasible nodes a spread replica is scored against: the anti-affinity can prefer a slightly fuller node. */
const SPREAD_CANDIDATES = 8;

interface NodeState extends NodeLoad {
  info: NodeInfo;
  level: number;
}

/**
 * Where a central greedy scheduler would put each open slot: the open auctions, largest
 * replica first, each given to the node its policy scores best (`spread`: among the
 * emptiest; `binpack`: the fullest that fits), counting what it gave before. Every node
 * computes it from the view they share and bids on the auctions forecast for it.
 *
 * Why: every auction is open to every node, and a node that bid on all of them would
 * reserve far more than it can win, so with thousands open at once the winners would
 * come out close to random. With the forecast each slot gets about one bid, from the
 * node a central scheduler would pick; where views differ, a slot gets two bids (the
 * auction picks the better) or none (the next forecast, a tick later, names a node).
 * `held` are open auctions a node has already bid on: its own forecast counts them as
 * its own, so that auctions opened since cannot draw it into bidding past its room.
 * Returns auction id to node id; a slot no node can hold is left out.
 */
export function forecast(view: ClusterView, plan: Plan, held: { node: string; auctions: ReadonlySet<string> } | undefined = undefined): Map<string, string> {
  const nodes = nodeStates(view, plan.placed);
  const failedOn = failedNodes(view);
  const out = new Map<string, string>();
  const holder = held === undefined ? undefined : nodes.find((n) => n.info.id === held.node);
  if (holder !== undefined) {
    for (const auction of plan.open) {
      if (!held?.auctions.has(auction.id)) continue;
      take(holder, auction);
      out.set(auction.id, holder.info.id);
    }
  }
  const open = largestFirst(plan.open.filter((a) => !out.has(a.id)));
  const emptiestFirst = (): MinHeap<NodeState> => {
    const heap = new MinHeap<NodeState>((a, b) => a.level - b.level || (a.info.id < b.info.id ? -1 : 1));
    nodes.forEach((n) => heap.push(n));
    return heap;
  };
  let spread: MinHeap<NodeState> | undefined;
  const binpack = new FullestFirst(
    nodes,
    open.filter((a) => a.workload.policy === 'binpack'),
  );
  for (const auction of open) {
    const refused = failedOn.get(slotKey({ workload: auction.workload.key, index: auction.index }));
    const feasible = (n: NodeState): boolean => refused?.has(n.info.id) !== true && checkFeasibility(auction.workload.demand, candidateOf(n)).ok;
    if (auction.workload.policy === 'binpack') {
      const chosen = binpack.first(feasible);
      if (chosen === undefined) continue;
      take(chosen, auction);
      binpack.moveUp(chosen);
      // The node's level changed under the heap's feet: it is built again when next needed.
      spread = undefined;
      out.set(auction.id, chosen.info.id);
    } else {
      spread ??= emptiestFirst();
      const { best, popped } = bestOfEmptiest(spread, auction, feasible);
      if (best !== undefined) {
        take(best, auction);
        binpack.moveUp(best);
        out.set(auction.id, best.info.id);
      }
      for (const node of popped) spread.push(node);
    }
  }
  return out;
}

function nodeStates(view: ClusterView, placed: readonly PlacedSlot[]): NodeState[] {
  const byId = new Map<string, NodeState>();
  for (const info of view.nodes.values()) {
    if (info.state !== 'alive' || info.cordoned || info.draining) continue;
    byId.set(info.id, { info, allocated: NO_RESOURCES, hostPorts: new Set(), replicasByWorkload: new Map(), level: 0 });
  }
  for (const slot of placed) {
    const state = byId.get(slot.assignment.node);
    if (state !== undefined) addReplica(state, slot.workload);
  }
  for (const state of byId.values()) state.level = utilization(state.allocated, state.info.capacity);
  return [...byId.values()];
}

/** Nodes a slot's replica failed on for good: they decline it, so the forecast skips them. */
function failedNodes(view: ClusterView): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [slot, statuses] of view.statuses) {
    for (const s of statuses) if (s.permanentFailure) out.set(slot, (out.get(slot) ?? new Set()).add(s.node));
  }
  return out;
}

/** Largest first places the big replicas while there is room to balance them; then by id, so every node takes the same order. */
function largestFirst(open: readonly OpenAuction[]): OpenAuction[] {
  const size = (a: OpenAuction): number => a.workload.demand.resources.cpuMillis / 1000 + a.workload.demand.resources.memoryBytes / 2 ** 31;
  return [...open].sort((a, b) => size(b) - size(a) || (a.id < b.id ? -1 : 1));
}

const candidateOf = (n: NodeState): Candidate => ({
  id: n.info.id,
  labels: n.info.labels,
  capacity: n.info.capacity,
  allocated: n.allocated,
  hostPortsInUse: n.hostPorts,
  schedulable: true,
  replicasByWorkload: n.replicasByWorkload,
});

const NO_SPREAD = { replicasByLabelValue: new Map<string, number>() };

/** The best-scoring node among the few emptiest that can hold the replica, and every node taken off the heap to find it. */
function bestOfEmptiest(heap: MinHeap<NodeState>, auction: OpenAuction, feasible: (n: NodeState) => boolean): { best: NodeState | undefined; popped: NodeState[] } {
  const popped: NodeState[] = [];
  let best: { node: NodeState; score: number; tiebreak: number | undefined } | undefined;
  let seen = 0;
  while (seen < SPREAD_CANDIDATES) {
    const node = heap.pop();
    if (node === undefined) break;
    popped.push(node);
    if (!feasible(node)) continue;
    seen++;
    const value = score(auction.workload.policy, auction.workload.demand, candidateOf(node), NO_SPREAD);
    if (best === undefined || value > best.score) best = { node, score: value, tiebreak: undefined };
    else if (value === best.score) {
      // A hash per (auction, node), so that no node is favoured in every tie; computed only for ties.
      best.tiebreak ??= fnv1a(`${auction.id}/${best.node.info.id}`);
      const mine = fnv1a(`${auction.id}/${node.info.id}`);
      if (mine < best.tiebreak) best = { node, score: value, tiebreak: mine };
    }
  }
  return { best: best?.node, popped };
}

function take(n: NodeState, auction: OpenAuction): void {
  addReplica(n, auction.workload);
  n.level = utilization(n.allocated, n.info.capacity);
}

/**
 * The nodes fullest first, for binpack. Nodes too full for even the smallest open
 * replica are dropped as the scan meets them, so the scan stays short however many
 * nodes are full.
 */
class FullestFirst {
  private order: NodeState[];
  private readonly smallest: Resources;

  constructor(nodes: readonly NodeState[], open: readonly OpenAuction[]) {
    this.order = open.length === 0 ? [] : [...nodes].sort((a, b) => b.level - a.level || (a.info.id < b.info.id ? -1 : 1));
    this.smallest = open.reduce(
      (min, a) => ({ cpuMillis: Math.min(min.cpuMillis, a.workload.demand.resources.cpuMillis), memoryBytes: Math.min(min.memoryBytes, a.workload.demand.resources.memoryBytes) }),
      { cpuMillis: Infinity, memoryBytes: Infinity },
    );
  }

  first(feasible: (n: NodeState) => boolean): NodeState | undefined {
    let full = 0;
    let found: NodeState | undefined;
    for (const node of this.order) {
      if (!fitsWithin(this.smallest, freeOf(node.info.capacity, node.allocated))) full++;
      else if (feasible(node)) {
        found = node;
        break;
      }
    }
    if (full > 32) this.order = this.order.filter((n) => fitsWithin(this.smallest, freeOf(n.info.capacity, n.allocated)));
    return found;
  }

  /** After the node took a replica: it is fuller, so it can only move towards the front. */
  moveUp(node: NodeState): void {
    let at = this.order.indexOf(node);
    if (at < 0) return;
    while (at > 0) {
      const before = this.order[at - 1] as NodeState;
      if (before.level > node.level || (before.level === node.level && before.info.id < node.info.id)) break;
      this.order[at] = before;
      this.order[at - 1] = node;
      at--;
    }
  }
}

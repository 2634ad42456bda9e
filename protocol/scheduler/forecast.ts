import type { Candidate, Demand } from '../auction/candidate.js';
import { checkFeasibility } from '../auction/filters/index.js';
import { fitsWithin, freeOf, NO_RESOURCES, type Resources } from '../auction/resources.js';
import { lacksImage, score, utilization } from '../auction/scores/index.js';
import { slotKey } from '../auction/slot.js';
import { fnv1a } from './fnv.js';
import { MinHeap } from './min-heap.js';
import { addReplica, type NodeLoad, type OpenAuction, type PlacedSlot, type Plan } from './plan.js';
import { failedHere, type DeclineClock } from './failed-here.js';
import type { ClusterView, NodeInfo, SlotStatus } from './view.js';

/** How many of the emptiest feasible nodes a spread replica is scored against: the anti-affinity can prefer a slightly fuller node. */
const SPREAD_CANDIDATES = 8;
/**
 * How many holders of a replica's image are scored besides, where the node the forecast
 * would name lacks it: the emptiest (spread) or fullest (binpack) that can take it. The
 * auction prefers holders (scores/index.ts), and a holder the forecast does not name
 * defers and never bids, however many emptier nodes stand before it.
 */
const HOLDER_CANDIDATES = 4;

interface NodeState extends NodeLoad {
  info: NodeInfo;
  level: number;
  /** Replicas the forecast gave the node so far: a queue entry made at another count is stale. */
  version: number;
}

/** A node in a queue, at the level it had when queued: a node that took a replica since is queued again. */
interface Queued {
  node: NodeState;
  level: number;
  version: number;
}

const queued = (node: NodeState): Queued => ({ node, level: node.level, version: node.version });
const isCurrent = (entry: Queued): boolean => entry.version === entry.node.version;
const emptiestFirst = (a: Queued, b: Queued): number => a.level - b.level || (a.node.info.id < b.node.info.id ? -1 : 1);
const fullestFirst = (a: Queued, b: Queued): number => b.level - a.level || (a.node.info.id < b.node.info.id ? -1 : 1);

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
 * `at`: when, for the nodes that decline a slot that failed on them (failed-here.ts).
 * Returns auction id to node id; a slot no node can hold is left out.
 */
export function forecast(view: ClusterView, plan: Plan, at: DeclineClock, held: { node: string; auctions: ReadonlySet<string> } | undefined = undefined): Map<string, string> {
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
  const emptiest = (): MinHeap<Queued> => {
    const heap = new MinHeap<Queued>(emptiestFirst);
    nodes.forEach((n) => heap.push(queued(n)));
    return heap;
  };
  let spread: MinHeap<Queued> | undefined;
  const binpack = new FullestFirst(
    nodes,
    open.filter((a) => a.workload.policy === 'binpack'),
  );
  const holders = { emptiest: new HolderQueues(nodes, emptiestFirst), fullest: new HolderQueues(nodes, fullestFirst) };
  const give = (n: NodeState, auction: OpenAuction): void => {
    take(n, auction);
    holders.emptiest.requeue(n);
    holders.fullest.requeue(n);
    binpack.moveUp(n);
    out.set(auction.id, n.info.id);
  };
  for (const auction of open) {
    const refused = new Set(
      (failedOn.get(slotKey({ workload: auction.workload.key, index: auction.index })) ?? []).flatMap((s) => (failedHere(s, auction.workload, at) ? [s.node] : [])),
    );
    const feasible = (n: NodeState): boolean => !refused.has(n.info.id) && checkFeasibility(auction.workload.demand, candidateOf(n)).ok;
    if (auction.workload.policy === 'binpack') {
      const fullest = binpack.first(feasible);
      if (fullest === undefined) continue;
      give(holderOverFullest(fullest, auction.workload.demand, holders.fullest, feasible) ?? fullest, auction);
      // The node's level changed under the heap's feet: it is built again when next needed.
      spread = undefined;
    } else {
      spread ??= emptiest();
      const { best, popped } = bestOfEmptiest(spread, holders.emptiest, auction, feasible);
      if (best !== undefined) give(best, auction);
      // The node that took the replica is queued again at its new level, its old entry now stale.
      for (const entry of popped) if (isCurrent(entry)) spread.push(entry);
      if (best !== undefined) spread.push(queued(best));
    }
  }
  return out;
}

function nodeStates(view: ClusterView, placed: readonly PlacedSlot[]): NodeState[] {
  const byId = new Map<string, NodeState>();
  for (const info of view.nodes.values()) {
    if (info.state !== 'alive' || info.cordoned || info.draining) continue;
    byId.set(info.id, { info, allocated: NO_RESOURCES, hostPorts: new Set(), replicasByWorkload: new Map(), level: 0, version: 0 });
  }
  for (const slot of placed) {
    const state = byId.get(slot.assignment.node);
    if (state !== undefined) addReplica(state, slot.workload);
  }
  for (const state of byId.values()) state.level = utilization(state.allocated, state.info.capacity);
  return [...byId.values()];
}

/** Statuses of a slot's replica that failed for good: nodes that decline it (failedHere), so the forecast skips them. */
function failedNodes(view: ClusterView): Map<string, SlotStatus[]> {
  const out = new Map<string, SlotStatus[]>();
  for (const [slot, statuses] of view.statuses) {
    const failed = statuses.filter((s) => s.permanentFailure);
    if (failed.length > 0) out.set(slot, failed);
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
  images: n.info.images,
});

const NO_SPREAD = { replicasByLabelValue: new Map<string, number>() };

/**
 * The best-scoring node among the few emptiest that can hold the replica (and, where that
 * one lacks the replica's image, the few emptiest holders), and every current entry taken
 * off the heap to find it.
 */
function bestOfEmptiest(
  heap: MinHeap<Queued>,
  holders: HolderQueues,
  auction: OpenAuction,
  feasible: (n: NodeState) => boolean,
): { best: NodeState | undefined; popped: Queued[] } {
  const popped: Queued[] = [];
  const { demand } = auction.workload;
  const best = new BestScore(auction);
  let seen = 0;
  while (seen < SPREAD_CANDIDATES) {
    const entry = heap.pop();
    if (entry === undefined) break;
    if (!isCurrent(entry)) continue;
    popped.push(entry);
    if (!feasible(entry.node)) continue;
    seen++;
    best.offer(entry.node);
  }
  if (demand.image !== undefined && best.node !== undefined && lacksImage(demand, candidateOf(best.node))) {
    const scored = new Set(popped.map((e) => e.node));
    for (const node of holders.first(demand.image, HOLDER_CANDIDATES, (n) => !scored.has(n) && feasible(n))) best.offer(node);
  }
  return { best: best.node, popped };
}

/** The best-scoring node offered for a spread replica: the higher score, then the lower hash per (auction, node). */
class BestScore {
  node: NodeState | undefined;
  private score = -Infinity;
  private tiebreak: number | undefined;

  constructor(private readonly auction: OpenAuction) {}

  offer(node: NodeState): void {
    const { policy, demand } = this.auction.workload;
    const value = score(policy, demand, candidateOf(node), NO_SPREAD);
    if (this.node === undefined || value > this.score) {
      this.node = node;
      this.score = value;
      this.tiebreak = undefined;
    } else if (value === this.score) {
      // A hash per (auction, node), so that no node is favoured in every tie; computed only for ties.
      this.tiebreak ??= fnv1a(`${this.auction.id}/${this.node.info.id}`);
      const mine = fnv1a(`${this.auction.id}/${node.info.id}`);
      if (mine < this.tiebreak) {
        this.node = node;
        this.tiebreak = mine;
      }
    }
  }
}

/** Under binpack, a holder of the replica's image among the fullest that outscores `fullest`, which lacks it: the auction would choose it. */
function holderOverFullest(fullest: NodeState, demand: Demand, holders: HolderQueues, feasible: (n: NodeState) => boolean): NodeState | undefined {
  if (demand.image === undefined || !lacksImage(demand, candidateOf(fullest))) return undefined;
  let best = { node: fullest, score: score('binpack', demand, candidateOf(fullest), NO_SPREAD) };
  for (const node of holders.first(demand.image, HOLDER_CANDIDATES, feasible)) {
    const value = score('binpack', demand, candidateOf(node), NO_SPREAD);
    // Fullest first: of equal scores the fuller stays, as the binpack order has it.
    if (value > best.score) best = { node, score: value };
  }
  return best.node === fullest ? undefined : best.node;
}

function take(n: NodeState, auction: OpenAuction): void {
  addReplica(n, auction.workload);
  n.level = utilization(n.allocated, n.info.capacity);
  n.version++;
}

/**
 * Per image, the nodes that hold it in one order (emptiest or fullest first), each queue
 * built when first asked for and kept current as nodes take replicas, so that finding
 * the few best holders costs a few heap steps, not a pass over every node.
 */
class HolderQueues {
  private readonly queues = new Map<string, MinHeap<Queued>>();

  constructor(
    private readonly nodes: readonly NodeState[],
    private readonly order: (a: Queued, b: Queued) => number,
  ) {}

  /** The first `count` holders of `image` in this order that `accept` passes; every entry taken off is put back. */
  first(image: string, count: number, accept: (n: NodeState) => boolean): NodeState[] {
    const queue = this.of(image);
    const taken: Queued[] = [];
    const found: NodeState[] = [];
    while (found.length < count) {
      const entry = queue.pop();
      if (entry === undefined) break;
      if (!isCurrent(entry)) continue;
      taken.push(entry);
      if (accept(entry.node)) found.push(entry.node);
    }
    for (const entry of taken) queue.push(entry);
    return found;
  }

  /** After `node` took a replica: its entries went stale, so it is queued again at its new level. */
  requeue(node: NodeState): void {
    for (const image of node.info.images ?? []) this.queues.get(image)?.push(queued(node));
  }

  private of(image: string): MinHeap<Queued> {
    let queue = this.queues.get(image);
    if (queue === undefined) {
      queue = new MinHeap<Queued>(this.order);
      for (const node of this.nodes) if (node.info.images?.has(image) === true) queue.push(queued(node));
      this.queues.set(image, queue);
    }
    return queue;
  }
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

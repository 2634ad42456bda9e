import type { Assignment, SlotHistory } from './assignment.js';
import type { NodeInfo, PartitionPolicy, SlotStatus } from './view.js';

export interface ResolveConfig {
  /** Under `majority`, a node cut off from the majority stops the replica after this long... */
  fenceMs: number;
  /** ...and the majority side re-places it only after the node has been dead this much longer. */
  fenceMarginMs: number;
}

/** `max-per-node`: its node holds as many of the workload's replicas as it may through lower slots (PerNodeTally). */
export type ReplaceReason = 'new' | 'node-dead' | 'node-draining' | 'failed' | 'max-per-node';

export type SlotDecision =
  | { kind: 'placed'; assignment: Assignment; unreachable: boolean }
  | { kind: 'needs-auction'; epoch: number; because: ReplaceReason }
  | { kind: 'waiting'; reason: 'backoff' | 'no-majority' | 'fence'; untilMs?: number }
  /** A global slot's replica is bound to its node: while the node is dead it runs nowhere else. */
  | { kind: 'waiting'; reason: 'node-dead'; node: string; untilMs?: undefined };

export interface SlotContext {
  history: SlotHistory;
  statuses: readonly SlotStatus[];
  nodes: ReadonlyMap<string, NodeInfo>;
  partitionPolicy: PartitionPolicy;
  /** This view sees a strict majority of the members that have not left. */
  hasMajority: boolean;
  /**
   * Since when this node has seen a majority without a break. A node that has just come
   * back to the majority (a healed cut, a restart) may still hold a member dead that the
   * majority knows alive and running; its own "dead since" proves nothing about a fence.
   */
  majoritySinceMs: number;
  nowMs: number;
  config: ResolveConfig;
  /** Nodes that lower slots of the workload fill to its limit a node: this slot may not stay on one. */
  full?: ReadonlySet<string> | undefined;
  /** The workload runs one replica on each member (`mode: global`). */
  global?: boolean | undefined;
  /** Room was freed since the slot's latest auction closed empty (room-freed.ts): it is tried again at once. */
  roomFreed?: boolean | undefined;
}

const NO_NODES: ReadonlySet<string> = new Set();

/** Unknown counts as gone: SWIM forgets the dead after an hour, and a forgotten node must not keep its slots. */
const gone = (node: NodeInfo | undefined): boolean => node === undefined || node.state === 'dead' || node.state === 'left';

function unusable(a: Assignment, context: SlotContext): ReplaceReason | undefined {
  const node = context.nodes.get(a.node);
  if (gone(node)) return 'node-dead';
  if (node?.draining === true) return 'node-draining';
  // A node keeps one status a slot, for its latest epoch: a failure there fails its earlier
  // placements of the slot too, whose own failures it overwrote. Otherwise a node given a
  // slot again after it had failed it sees the earlier placement usable and flips between the two.
  if (context.statuses.some((s) => s.node === a.node && s.epoch >= a.epoch && s.permanentFailure)) return 'failed';
  return undefined;
}

const firstRunning = (a: Assignment, statuses: readonly SlotStatus[]): number =>
  statuses.find((s) => s.node === a.node && s.epoch === a.epoch)?.firstRunningAtMs ?? Number.POSITIVE_INFINITY;

/**
 * Where a slot runs, or why it needs an auction, as this view sees it. After a
 * partition heals a slot may have a usable winner in several epochs (each side
 * replaced what it could not see): under `available` the replica that has been running
 * longest is kept, then the latest epoch. Under `majority` only the latest epoch counts:
 * the minority's replica was fenced (stopped), so "ran longest" means nothing there, and
 * an older winner must not come back when the latest one's node dies, since that node's
 * replica runs on until its fence. Every node keeps the same one and the others stop.
 * A winner on a node that lower slots of the workload fill to its limit is not kept.
 */
export function resolveSlot(context: SlotContext): SlotDecision {
  const { history, statuses, nowMs } = context;
  const majority = context.partitionPolicy === 'majority';
  const full = context.full ?? NO_NODES;
  const candidates = majority ? history.assignments.slice(-1) : history.assignments;
  const usable = candidates.filter((a) => unusable(a, context) === undefined && !full.has(a.node));
  if (usable.length > 0) {
    const kept = usable.reduce((best, a) => {
      const [ta, tb] = [firstRunning(a, statuses), firstRunning(best, statuses)];
      return ta < tb || (ta === tb && a.epoch > best.epoch) ? a : best;
    });
    return { kind: 'placed', assignment: kept, unreachable: context.nodes.get(kept.node)?.state === 'suspect' };
  }
  // A dead member may be only slow (a false death under CPU starvation): its global replica
  // waits for it, as a DaemonSet's pod stays bound to its node. Every live node holds a
  // replica of its own, so an auction could only put a second one on a node.
  if (context.global === true) {
    const bound = candidates.findLast((a) => context.nodes.get(a.node)?.state === 'dead' && !full.has(a.node));
    if (bound !== undefined) return { kind: 'waiting', reason: 'node-dead', node: bound.node };
  }
  const latest = history.assignments.at(-1);
  const because: ReplaceReason = latest === undefined ? 'new' : (unusable(latest, context) ?? (full.has(latest.node) ? 'max-per-node' : 'new'));
  if (majority) {
    if (!context.hasMajority) return { kind: 'waiting', reason: 'no-majority' };
    const node = latest === undefined ? undefined : context.nodes.get(latest.node);
    const deadSinceMs = node !== undefined && node.state === 'dead' ? Math.max(node.stateChangedAtMs, context.majoritySinceMs) : undefined;
    const safeAtMs = deadSinceMs === undefined ? 0 : deadSinceMs + context.config.fenceMs + context.config.fenceMarginMs;
    if (nowMs < safeAtMs) return { kind: 'waiting', reason: 'fence', untilMs: safeAtMs };
  }
  const blocked = history.unschedulable;
  if (blocked !== undefined && nowMs < blocked.retryAtMs && schedulableCount(context.nodes) === blocked.liveMembers && context.roomFreed !== true) {
    return { kind: 'waiting', reason: 'backoff', untilMs: blocked.retryAtMs };
  }
  return { kind: 'needs-auction', epoch: history.maxEpoch + 1, because };
}

/** Members that could take a replica: a change in their number retries an unschedulable slot at once, as room freed does. */
export function schedulableCount(nodes: ReadonlyMap<string, NodeInfo>): number {
  let count = 0;
  for (const node of nodes.values()) if (node.state === 'alive' && !node.cordoned && !node.draining) count++;
  return count;
}

/**
 * A strict majority of the members that have not left is alive here and answering. A
 * suspect does not count: on the minority side of a fresh partition the others are
 * suspect for seconds, and counting them let that side re-place a singleton its owner
 * still ran (found by the fault suite). Nor does a silent member: there Lifeguard slows
 * the probes that would suspect the far side, and one far member stayed alive for ten
 * seconds (found by the fault suite, reproduced by the simulator with SWIM membership).
 * Counting less errs the safe way both for re-placing (later) and for fencing oneself
 * (sooner).
 */
export function seesMajority(nodes: ReadonlyMap<string, NodeInfo>): boolean {
  let members = 0;
  let answering = 0;
  for (const node of nodes.values()) {
    if (node.state === 'left') continue;
    members++;
    if (node.state === 'alive' && node.silent !== true) answering++;
  }
  return answering * 2 > members;
}

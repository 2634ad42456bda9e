import type { MajorityLease } from '../../../protocol/agent/majority-fence.js';
import type { MajorityLeaseHolder } from '../../../protocol/agent/majority-lease.js';
import type { Plan } from '../../../protocol/scheduler/plan.js';
import type { Scheduler } from '../../../protocol/scheduler/scheduler.js';
import type { NodeInfo } from '../../../protocol/scheduler/view.js';
import type { NodeClock } from '../node-clock.js';
import type { DocumentReplica } from './document.js';

/** One simulated node: its scheduler, its document replica, and when its next tick matters. */
export interface SimNode {
  id: string;
  scheduler: Scheduler;
  document: DocumentReplica;
  /** Bumped on crash and restart: answers in flight to the old life are lost with it. */
  generation: number;
  idle: IdleState;
  /** When the node last pinged every member for evidence of a majority (majority-evidence.ts). */
  censusAtMs: number;
  /** The daemon's majority lease; a new one from the record after a restart. */
  lease: MajorityLeaseHolder;
  /** What outlives the daemon: the lease's record as last written, and its fence keeper's removals and the last one's time. */
  keeper: { record: MajorityLease | undefined; removed: Set<string>; removedAtMs: number };
  /** When the agent first found the node fenced since its last sighting of a majority: the checker's own account, not the lease's. */
  fencedSinceMs: number | undefined;
  /** An anti-entropy exchange of this node is under way (it runs one at a time). */
  syncing: boolean;
  /**
   * Its clocks: the scheduler, the agent and SWIM read the wall clock (Date.now in the
   * daemon), the majority lease and its fence keeper the monotonic one (node/lease-clock.ts).
   * A node whose wall clock steps ticks every `tickMs`, as the daemon does, never skipping
   * an idle tick: a skipped tick leaves the scheduler's last sight of a majority up to half
   * a fence old, and a step ahead would then look like a longer pause than it is.
   */
  clock: NodeClock;
  /** The stamp of its last status write: the HLC's rule, a write orders after the last even when the wall clock was set back. */
  stampMs: number;
}

/**
 * What decides whether a tick can be skipped. A tick on an unchanged view is a no-op
 * unless time alone moves something: an open auction (answers are resent, windows
 * close, collectors write) or a waiting slot whose fence or back-off ends. A plan with
 * no open auction leaves the scheduler nothing pending: it drops its answers,
 * reservations and collections for auctions that left its open set. Fencing a minority
 * node needs no tick either: `desired` reads the clock itself.
 */
export interface IdleState {
  /** The view changed since the last tick. */
  dirty: boolean;
  /** The last plan had open auctions. */
  busy: boolean;
  wakeAtMs: number;
  /** The last plan saw no majority, or the node is still fenced: the agent checks `desired` every tick, for the fence. */
  fenceWatch: boolean;
}

export const freshIdle = (): IdleState => ({ dirty: true, busy: false, wakeAtMs: Number.POSITIVE_INFINITY, fenceWatch: false });

export const needsTick = (idle: IdleState, nowMs: number): boolean => idle.dirty || idle.busy || nowMs >= idle.wakeAtMs;

/**
 * After a tick: whether its plan keeps the node busy, when a waiting slot wakes, whether
 * the fence needs watching. A node ticks at least every `renewMs` anyway: a tick that
 * sees a majority renews the node's lease on its `majority` replicas, as the daemon's
 * ticks do every 100 ms.
 */
export function afterTick(idle: IdleState, plan: Plan, fenced: boolean, renewAtMs: number): void {
  idle.dirty = false;
  idle.busy = plan.open.length > 0;
  idle.wakeAtMs = renewAtMs;
  for (const { decision } of plan.waiting) if (decision.untilMs !== undefined) idle.wakeAtMs = Math.min(idle.wakeAtMs, decision.untilMs);
  idle.fenceWatch = !plan.hasMajority || fenced;
}

export type NodeSpec = Pick<NodeInfo, 'capacity' | 'labels'>;

export const defaultNodeSpec = (i: number): NodeSpec => ({ capacity: { cpuMillis: 4000, memoryBytes: 8 * 1024 ** 3 }, labels: { zone: `z${i % 3}` } });

export const simNodeInfo = (id: string, spec: NodeSpec): NodeInfo => ({ id, state: 'alive', stateChangedAtMs: 0, cordoned: false, draining: false, ...spec });

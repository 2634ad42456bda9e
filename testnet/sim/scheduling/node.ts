import type { MajorityLease } from '../../../protocol/agent/majority-fence.js';
import type { MajorityLeaseHolder } from '../../../protocol/agent/majority-lease.js';
import type { IdleState } from '../../../protocol/scheduler/idle.js';
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
   * A node whose wall clock steps ticks every `tickMs`, never skipping an idle tick: a
   * skipped tick leaves the scheduler's last sight of a majority up to `idleTickMs` old,
   * and a step ahead would then look that much longer a pause than it is. The daemon,
   * which cannot tell a step coming, waits at most `idleTickMs` (a sixth of a fence or
   * less) between ticks, so a step reads as at most that much longer there.
   */
  clock: NodeClock;
  /** The stamp of its last status write: the HLC's rule, a write orders after the last even when the wall clock was set back. */
  stampMs: number;
}

export type NodeSpec = Pick<NodeInfo, 'capacity' | 'labels'>;

export const defaultNodeSpec = (i: number): NodeSpec => ({ capacity: { cpuMillis: 4000, memoryBytes: 8 * 1024 ** 3 }, labels: { zone: `z${i % 3}` } });

export const simNodeInfo = (id: string, spec: NodeSpec): NodeInfo => ({ id, state: 'alive', stateChangedAtMs: 0, cordoned: false, draining: false, ...spec });

import type { SchedulerConfig } from './config.js';
import type { Plan } from './plan.js';

/**
 * What decides when a node's scheduler must tick again. A tick on an unchanged view is a
 * no-op unless time alone moves something: an open auction (answers are resent, windows
 * close, collectors write) or a waiting slot whose fence or back-off ends. A plan with no
 * open auction leaves the scheduler nothing pending: it drops its answers, reservations
 * and collections for auctions that left its open set. Fencing a minority node needs no
 * tick either: `desired` reads the clock itself.
 *
 * The daemon ticks by this rule (node/scheduler-service.ts) and the simulator skips the
 * ticks it calls idle, so both tick alike: every `tickMs` while busy, at the latest every
 * `idleTickMs` while idle, and at once when the view changes.
 */
export interface IdleState {
  /** The view changed since the last tick. */
  dirty: boolean;
  /** The last plan had open auctions. */
  busy: boolean;
  wakeAtMs: number;
  /** The last plan saw no majority, or the node is still fenced: the simulator's agent checks `desired` every tick, skipped or not, for the fence (the daemon's runs every second). */
  fenceWatch: boolean;
}

export const freshIdle = (): IdleState => ({ dirty: true, busy: false, wakeAtMs: Number.POSITIVE_INFINITY, fenceWatch: false });

export const needsTick = (idle: IdleState, nowMs: number): boolean => idle.dirty || idle.busy || nowMs >= idle.wakeAtMs;

/**
 * After a tick: whether its plan keeps the node busy, when a waiting slot wakes, whether
 * the fence needs watching. An idle node still ticks every `idleTickMs`: a tick that sees
 * a majority renews the node's lease on its `majority` replicas, and what the view holds
 * beside the document and the members' events (members gone silent after a census, the
 * wall clock) changes without telling anyone.
 */
export function afterTick(idle: IdleState, plan: Plan, fenced: boolean, nowMs: number, config: Pick<SchedulerConfig, 'idleTickMs'>): void {
  idle.dirty = false;
  idle.busy = plan.open.length > 0;
  idle.wakeAtMs = nowMs + config.idleTickMs;
  for (const { decision } of plan.waiting) if (decision.untilMs !== undefined) idle.wakeAtMs = Math.min(idle.wakeAtMs, decision.untilMs);
  idle.fenceWatch = !plan.hasMajority || fenced;
}

/** How long a driver that ticks every `tickMs` while busy may wait, after a tick, before the next one. */
export function nextTickInMs(idle: IdleState, nowMs: number, tickMs: number): number {
  if (idle.dirty || idle.busy) return tickMs;
  return Math.max(tickMs, idle.wakeAtMs - nowMs);
}

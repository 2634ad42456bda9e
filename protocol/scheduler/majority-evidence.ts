import type { Plan } from './plan.js';

/**
 * This node must learn soon whether it still reaches a majority, so its driver runs a
 * SWIM census (SwimMachine.census) every `censusMs`: it runs a `majority` replica, which
 * it must fence in time if cut off, or a `majority` slot waits to be re-placed, which
 * only a side that sees a majority may do.
 */
function needsMajorityEvidence(plan: Plan, self: string): boolean {
  return (
    plan.placed.some((s) => s.workload.partitionPolicy === 'majority' && s.assignment.node === self) ||
    plan.open.some((a) => a.workload.partitionPolicy === 'majority') ||
    plan.waiting.some((w) => w.workload.partitionPolicy === 'majority' && w.decision.reason !== 'backoff')
  );
}

/**
 * Whether to run a census now, after a tick whose plan is `plan`: at most one every
 * `censusMs`, and only while the plan needs the evidence. The daemon and the simulator
 * both ask this after each tick; the plan of the last tick decides, since the
 * membership alone may change between ticks.
 */
export const censusDue = (plan: Plan | undefined, self: string, lastCensusAtMs: number, nowMs: number, censusMs: number): boolean =>
  plan !== undefined && nowMs - lastCensusAtMs >= censusMs && needsMajorityEvidence(plan, self);

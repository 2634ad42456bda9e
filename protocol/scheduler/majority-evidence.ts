import type { Plan } from './plan.js';

/**
 * This node must learn soon whether it still reaches a majority, so its driver runs a
 * SWIM census (SwimMachine.census) every `censusMs`: it runs a `majority` replica, which
 * it must fence in time if cut off, or a `majority` slot waits to be re-placed, which
 * only a side that sees a majority may do.
 */
export function needsMajorityEvidence(plan: Plan, self: string): boolean {
  return (
    plan.placed.some((s) => s.workload.partitionPolicy === 'majority' && s.assignment.node === self) ||
    plan.open.some((a) => a.workload.partitionPolicy === 'majority') ||
    plan.waiting.some((w) => w.workload.partitionPolicy === 'majority' && w.decision.reason !== 'backoff')
  );
}

import type { SlotStatus, WorkloadInfo } from './view.js';

/** The moment a decline is judged at, and how long one lasts (SchedulerConfig.failedHereDeclineMs). */
export interface DeclineClock {
  nowMs: number;
  declineMs: number;
}

/**
 * The status shows the workload's current spec cannot run on the status's node, so the
 * node declines the slot: for `declineMs` after it wrote so. A failure of an
 * earlier spec does not count: the new one may be the fix. Where either side has no
 * version, or the status no time, the failure counts.
 */
export function failedHere(status: SlotStatus, workload: Pick<WorkloadInfo, 'specVersion'>, at: DeclineClock): boolean {
  if (!status.permanentFailure) return false;
  if (status.specVersion !== undefined && workload.specVersion !== undefined && status.specVersion !== workload.specVersion) return false;
  return status.writtenAtMs === undefined || at.nowMs < status.writtenAtMs + at.declineMs;
}

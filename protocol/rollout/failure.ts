import type { ReplicaStatus } from '../agent/reconcile.js';

/**
 * Why this replica shows its revision to be bad, or undefined: it could not start here,
 * it crash-loops, or it did not become ready within the progress deadline. Asked only of
 * replicas running a revision that is being rolled out, so a replica of a finished
 * rollout that falls ill later is restarted, not rolled back.
 */
export function revisionFailure(status: ReplicaStatus, progressDeadlineMs: number, nowMs: number): string | undefined {
  if (status.permanentFailure) return `could not start: ${status.message ?? status.state}`;
  if (status.state === 'backoff' && status.restarts >= 3) return `crash loop after ${status.restarts} restarts: ${status.message ?? ''}`.trim();
  if (status.state === 'running' && status.ready === false && status.startedAtMs !== undefined && nowMs - status.startedAtMs > progressDeadlineMs) {
    return `not ready within ${Math.round(progressDeadlineMs / 1000)} s`;
  }
  return undefined;
}

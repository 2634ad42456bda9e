import type { ReplicaStatus } from '../agent/reconcile.js';
import { revisionFailure } from './failure.js';
import type { RolloutPlan, RolloutPolicy } from './plan.js';

/** What judging needs of a workload's rollout (node/agent/desired.ts computes it from the document). */
export interface RolloutUnderWay {
  plan: Pick<RolloutPlan, 'target' | 'rolledBackFrom' | 'complete'>;
  policy: Pick<RolloutPolicy, 'progressDeadlineMs'>;
  revisions: number;
}

export interface FailedRevision {
  workload: string;
  specVersion: string;
  slot: number;
  reason: string;
}

/** How a revision is named among those a node has judged: `<workload>@<spec version>`. */
export const revisionName = (workload: string, specVersion: string): string => `${workload}@${specVersion}`;

/**
 * The revisions this node's replicas show failed, one each: a replica of a revision
 * being rolled out (not complete, not already rolled back, with an earlier revision to
 * return to) that cannot start, crash-loops or is not ready in time. `judged` holds the
 * revisions this node has already marked, so each is marked once.
 */
export function failedRevisions(statuses: readonly ReplicaStatus[], rollouts: ReadonlyMap<string, RolloutUnderWay>, judged: ReadonlySet<string>, nowMs: number): FailedRevision[] {
  const failed: FailedRevision[] = [];
  const named = new Set(judged);
  for (const status of statuses) {
    const rollout = rollouts.get(status.workload);
    if (rollout === undefined || rollout.plan.complete || rollout.plan.rolledBackFrom !== undefined || rollout.revisions < 2) continue;
    const name = revisionName(status.workload, status.specVersion);
    if (status.specVersion !== rollout.plan.target || named.has(name)) continue;
    const reason = revisionFailure(status, rollout.policy.progressDeadlineMs, nowMs);
    if (reason === undefined) continue;
    named.add(name);
    failed.push({ workload: status.workload, specVersion: status.specVersion, slot: status.slot, reason });
  }
  return failed;
}

import type { ClusterDocument, ObjectValue } from '../../crdt/index.js';
import { failedRevisions, revisionsOf } from '../../protocol/rollout/revisions.js';
import { planRollout, rolloutPolicyOf, type RolloutPlan, type RolloutPolicy } from '../../protocol/rollout/plan.js';
import type { DesiredReplica } from '../../protocol/agent/replica.js';
import { replicaStatusOf, type ReplicaStatus } from '../../protocol/agent/reconcile.js';
import { slotOfObject, statusKey } from '../../protocol/scheduler/from-document.js';
import { STATUS_KIND } from '../../protocol/node-writes.js';
import { containerSpecOf, secretRefsOf, specVersionOf } from '../../protocol/manifests/container.js';
import type { SecretBox } from '../secret-box.js';
import { withSecrets } from './secret-resolution.js';
import { imageResolver } from '../../protocol/images/image-record.js';
import { namespaceOf } from '../../crdt/roles.js';

/** A slot this node should run: which workload, which index, under which placement epoch. */
export interface SlotRef {
  workload: string;
  index: number;
  epoch: number;
  /** The spec version it ran before a restart, while the node has no plan yet. */
  version?: string | undefined;
}

/** A slot placed anywhere: rollouts pace every slot of a workload by all of them. */
export interface PlacedRef {
  workload: string;
  index: number;
  epoch: number;
  node: string;
}

export interface WorkloadRollout {
  plan: RolloutPlan;
  policy: RolloutPolicy;
  revisions: number;
}

/** How far the rollout of one workload has come, from its slots' statuses in the document. */
export function rolloutOf(document: ClusterDocument, workload: string, placed: readonly PlacedRef[]): { rollout: WorkloadRollout; fieldsOf: (version: string) => ObjectValue } {
  const fields = document.get(workload) as ObjectValue;
  const current = specVersionOf(fields);
  const revisions = new Map(revisionsOf(document, workload).map((r) => [r.version, r.fields]));
  revisions.delete(current);
  const slots = placed
    .filter((p) => p.workload === workload)
    .map((p) => {
      const status = replicaStatusOf(document.get(statusKey(workload, p.index))?.[p.node]);
      const mine = status !== undefined && status.epoch === p.epoch;
      return { index: p.index, version: mine ? status.specVersion : undefined, ready: mine && status.ready === true };
    });
  const policy = rolloutPolicyOf(fields['spec.rollout']);
  const plan = planRollout({ current, revisions: [...revisions.keys(), current], failed: new Set(failedRevisions(document, workload).keys()), slots, policy });
  return { rollout: { plan, policy, revisions: revisions.size + 1 }, fieldsOf: (version) => revisions.get(version) ?? fields };
}

/**
 * Slots as replicas to run, each with the revision its workload's rollout gives it; a
 * slot whose workload is gone is dropped.
 */
export function desiredReplicas(
  document: ClusterDocument,
  slots: readonly SlotRef[],
  placed: readonly PlacedRef[],
  box: SecretBox,
): { replicas: DesiredReplica[]; rollouts: Map<string, WorkloadRollout> } {
  const rollouts = new Map<string, WorkloadRollout>();
  const resolveImage = imageResolver(document);
  const replicas = slots.flatMap((slot): DesiredReplica[] => {
    if (document.get(slot.workload) === undefined) return [];
    const { rollout, fieldsOf } = rolloutOf(document, slot.workload, placed);
    rollouts.set(slot.workload, rollout);
    const target = rollout.plan.slots.get(slot.index) ?? { version: slot.version ?? rollout.plan.target, surge: false };
    const fields = fieldsOf(target.version);
    const spec = containerSpecOf(fields);
    // A CronJob's run knows its tick, so the job can make a tick's work idempotent.
    if (slot.workload.startsWith('CronJob/')) spec.env = { ...spec.env, SHOAL_CRON_TICK: new Date(slot.index * 1000).toISOString() };
    const imageId = resolveImage(namespaceOf(slot.workload), spec.image);
    const replica = {
      workload: slot.workload,
      slot: slot.index,
      epoch: slot.epoch,
      specVersion: specVersionOf(fields),
      spec,
      surge: target.surge,
      ...(imageId === undefined ? {} : { imageId }),
    };
    return [withSecrets(replica, secretRefsOf(fields), document, box)];
  });
  return { replicas, rollouts };
}

/**
 * The statuses this node last wrote, read back from its stored document. They say what
 * it ran before a restart, so it can start that again before it reaches any peer.
 */
export function ownStatuses(document: ClusterDocument, node: string): Map<string, ReplicaStatus> {
  const out = new Map<string, ReplicaStatus>();
  for (const key of document.keys(STATUS_KIND)) {
    const status = replicaStatusOf(document.get(key)?.[node]);
    if (slotOfObject(key) === undefined || status === undefined) continue;
    out.set(key, status);
  }
  return out;
}

export const bootSlots = (statuses: ReadonlyMap<string, ReplicaStatus>): SlotRef[] =>
  [...statuses.values()].filter((s) => s.state === 'running').map((s) => ({ workload: s.workload, index: s.slot, epoch: s.epoch, version: s.specVersion }));

/** The workload asks that a slot never run twice, at the price of availability in a partition. */
export const isMajority = (document: ClusterDocument, workload: string): boolean => document.get(workload)?.['spec.partitionPolicy'] === 'majority';

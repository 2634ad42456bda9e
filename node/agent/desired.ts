import type { ClusterDocument, Json } from '../../crdt/index.js';
import type { DesiredReplica } from '../../protocol/agent/replica.js';
import type { ReplicaStatus } from '../../protocol/agent/reconcile.js';
import { slotOfObject } from '../../protocol/scheduler/from-document.js';
import { STATUS_KIND } from '../../crdt/node-writes.js';
import { containerSpecOf, specVersionOf } from '../../protocol/spec/container.js';

/** A slot this node should run: which workload, which index, under which placement epoch. */
export interface SlotRef {
  workload: string;
  index: number;
  epoch: number;
}

/** Slots as replicas to run, with the spec each workload has now; a slot whose workload is gone is dropped. */
export function desiredReplicas(document: ClusterDocument, slots: readonly SlotRef[]): DesiredReplica[] {
  return slots.flatMap((slot) => {
    const fields = document.get(slot.workload);
    if (fields === undefined) return [];
    return [{ workload: slot.workload, slot: slot.index, epoch: slot.epoch, specVersion: specVersionOf(fields), spec: containerSpecOf(fields) }];
  });
}

/**
 * The statuses this node last wrote, read back from its stored document. They say what
 * it ran before a restart, so it can start that again before it reaches any peer.
 */
export function ownStatuses(document: ClusterDocument, node: string): Map<string, ReplicaStatus> {
  const out = new Map<string, ReplicaStatus>();
  for (const key of document.keys(STATUS_KIND)) {
    const slot = slotOfObject(key);
    const status = document.get(key)?.[node] as Json | undefined;
    if (slot === undefined || status === null || typeof status !== 'object' || Array.isArray(status)) continue;
    out.set(key, status as unknown as ReplicaStatus);
  }
  return out;
}

export const bootSlots = (statuses: ReadonlyMap<string, ReplicaStatus>): SlotRef[] =>
  [...statuses.values()].filter((s) => s.state === 'running').map((s) => ({ workload: s.workload, index: s.slot, epoch: s.epoch }));

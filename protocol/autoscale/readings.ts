import type { PlacedReplicaUsage } from '../usage/usage-book.js';
import type { ReplicaReading } from './autoscaler.js';

/** Where a slot is placed now, as the scheduler's plan says: its node and the epoch it won. */
export interface SlotPlacement {
  node: string;
  epoch: number;
}

/**
 * The readings the autoscaler takes for one workload: one a slot below `current`, from
 * the node the slot is placed on, at the epoch it was placed at. Any member gossips
 * usage, and a summary is checked only to come from the node it names: a reading for a
 * slot another node runs, or at an epoch no decision made (2^53, say, to outrank the
 * true one), would steer the workload's count within its bounds.
 */
export function readingsOf(replicas: readonly PlacedReplicaUsage[], current: number, placed: ReadonlyMap<number, SlotPlacement>): ReplicaReading[] {
  const bySlot = new Map<number, ReplicaReading>();
  for (const { node, slot, epoch, cpuMillis, memoryBytes, custom } of replicas) {
    const at = placed.get(slot);
    if (slot >= current || at === undefined || at.node !== node || at.epoch !== epoch) continue;
    bySlot.set(slot, { slot, cpuMillis, memoryBytes, custom });
  }
  return [...bySlot.values()];
}

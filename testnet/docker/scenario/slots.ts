import { slotKey } from '../../../protocol/auction/slot.js';
import { workloadInfo } from '../../../protocol/scheduler/from-document.js';
import type { RunningReplica, WorkloadObject } from './snapshot.js';

/** Per slot of the document, the replicas that run for it; and the replicas that belong to no slot. */
export interface SlotCensus {
  running: Map<string, RunningReplica[]>;
  /** Slots with two or more running replicas. */
  duplicated: string[];
  /** Slots with none. */
  missing: string[];
  /** Replicas of a deleted workload, or of an index at or past its replica count. */
  orphans: RunningReplica[];
}

/** Slots as the scheduler derives them, so a count the test and the nodes read differently cannot pass. */
export function expectedSlots(workloads: readonly WorkloadObject[]): string[] {
  return workloads.flatMap((w) => Array.from({ length: workloadInfo(w.key, w.fields).replicas }, (_, index) => slotKey({ workload: w.key, index })));
}

export function slotCensus(workloads: readonly WorkloadObject[], replicas: readonly RunningReplica[]): SlotCensus {
  const running = new Map<string, RunningReplica[]>(expectedSlots(workloads).map((slot) => [slot, []]));
  const orphans: RunningReplica[] = [];
  for (const replica of replicas) {
    const slot = running.get(slotKey({ workload: replica.workload, index: replica.slot }));
    if (slot === undefined) orphans.push(replica);
    else slot.push(replica);
  }
  const slotsWith = (test: (n: number) => boolean): string[] => [...running].filter(([, r]) => test(r.length)).map(([slot]) => slot);
  return { running, duplicated: slotsWith((n) => n > 1), missing: slotsWith((n) => n === 0), orphans };
}

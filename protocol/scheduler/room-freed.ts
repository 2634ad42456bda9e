import type { PlacedSlot } from './plan.js';

/** What a plan holds placed, over the whole cluster: a fall in any of them is room freed somewhere. */
export interface PlacedTotals {
  slots: number;
  cpuMillis: number;
  memoryBytes: number;
}

export function placedTotals(placed: readonly PlacedSlot[]): PlacedTotals {
  const totals = { slots: placed.length, cpuMillis: 0, memoryBytes: 0 };
  for (const { workload } of placed) {
    totals.cpuMillis += workload.demand.resources.cpuMillis;
    totals.memoryBytes += workload.demand.resources.memoryBytes;
  }
  return totals;
}

const fell = (now: PlacedTotals, then: PlacedTotals): boolean => now.slots < then.slots || now.cpuMillis < then.cpuMillis || now.memoryBytes < then.memoryBytes;

/**
 * Whether room was freed since a slot's last auction closed empty, by this node's own
 * sight. An unschedulable slot backs off up to minutes (SchedulerConfig.retryMaxMs: each
 * empty auction is a claim every node keeps for good), so what frees room (a workload
 * deleted or scaled down, a Job done, a replica moved off a node) must retry it at once,
 * as Kubernetes' scheduler retries its unschedulable pods on cluster events.
 *
 * Each node compares its totals now with its own totals when it first saw the empty
 * auction, not with the collector's: views differ for a while (a partition, a sync on
 * its way), and a difference between two views read as room freed would retry the slot
 * at every tick for as long as it lasted.
 */
export class RoomFreed {
  private readonly marks = new Map<string, { epoch: number; totals: PlacedTotals }>();
  private seen = new Set<string>();
  private totals: PlacedTotals | undefined;

  /**
   * A plan begins; `totals` are those of this node's previous plan (a plan's own are
   * known only once it is made), undefined before its first.
   */
  begin(totals: PlacedTotals | undefined): void {
    this.totals = totals;
    this.seen = new Set();
  }

  /** `slot`'s latest auction, `epoch`, closed empty: has room been freed since this node first saw it so? */
  since(slot: string, epoch: number): boolean {
    this.seen.add(slot);
    const totals = this.totals;
    if (totals === undefined) return false;
    const mark = this.marks.get(slot);
    if (mark === undefined || mark.epoch !== epoch) {
      this.marks.set(slot, { epoch, totals });
      return false;
    }
    return fell(totals, mark.totals);
  }

  /** The plan is made: slots no longer waiting on an empty auction are forgotten. */
  end(): void {
    for (const slot of this.marks.keys()) if (!this.seen.has(slot)) this.marks.delete(slot);
  }
}

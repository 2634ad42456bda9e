import { slotKey } from '../../protocol/auction/slot.js';
import type { PlacedSlot } from '../../protocol/scheduler/plan.js';
import type { DocumentOp } from './sched-document.js';

/**
 * The node agent reduced to what scheduling needs: a node runs a slot while its
 * scheduler desires it, and reports, once per (slot, epoch), when it first ran it.
 * That report is what lets the heal rule keep the replica that ran longest.
 * Containers outlive a crashed daemon unless the crash takes them down too.
 */
export class AgentModel {
  /** By node: slot key to the epoch it runs. */
  private readonly running = new Map<string, Map<string, number>>();
  /** Slots of `majority` workloads: what a fence keeper removes. */
  private readonly majority = new Set<string>();
  /** By slot: the nodes running it. */
  private readonly where = new Map<string, Set<string>>();
  private readonly firstRunMs = new Map<string, number>();
  /** Slots running on more than one node now. */
  duplicates = 0;

  /** Starts and stops to match `desired`; returns the statuses to write. */
  reconcile(node: string, desired: readonly PlacedSlot[], nowMs: number): DocumentOp[] {
    const running = this.runningMap(node);
    const wanted = new Map(desired.map((s) => [slotKey({ workload: s.workload.key, index: s.index }), s.assignment.epoch]));
    for (const s of desired) if (s.workload.partitionPolicy === 'majority') this.majority.add(slotKey({ workload: s.workload.key, index: s.index }));
    for (const [slot, epoch] of running) if (wanted.get(slot) !== epoch) this.stop(node, slot);
    const ops: DocumentOp[] = [];
    for (const [slot, epoch] of wanted) {
      if (running.get(slot) === epoch) continue;
      this.start(node, slot, epoch);
      const key = `${slot}|${node}|${epoch}`;
      if (this.firstRunMs.has(key)) continue;
      this.firstRunMs.set(key, nowMs);
      ops.push({ kind: 'status', slot, status: { node, epoch, state: 'running', firstRunningAtMs: nowMs, permanentFailure: false, writtenAtMs: nowMs } });
    }
    return ops;
  }

  stopAll(node: string): void {
    for (const slot of [...this.runningMap(node).keys()]) this.stop(node, slot);
  }

  stopMajority(node: string): void {
    for (const slot of [...this.runningMap(node).keys()]) if (this.majority.has(slot)) this.stop(node, slot);
  }

  runsMajority(node: string): boolean {
    for (const slot of this.runningMap(node).keys()) if (this.majority.has(slot)) return true;
    return false;
  }

  /** The nodes running `slot` now. */
  runnersOf(slot: string): ReadonlySet<string> {
    return this.where.get(slot) ?? new Set();
  }

  /** Every slot running anywhere, with its runners. */
  slots(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.where;
  }

  private runningMap(node: string): Map<string, number> {
    let running = this.running.get(node);
    if (running === undefined) this.running.set(node, (running = new Map()));
    return running;
  }

  private start(node: string, slot: string, epoch: number): void {
    this.runningMap(node).set(slot, epoch);
    let nodes = this.where.get(slot);
    if (nodes === undefined) this.where.set(slot, (nodes = new Set()));
    if (nodes.has(node)) return;
    nodes.add(node);
    if (nodes.size === 2) this.duplicates++;
  }

  private stop(node: string, slot: string): void {
    this.runningMap(node).delete(slot);
    const nodes = this.where.get(slot);
    if (nodes === undefined || !nodes.delete(node)) return;
    if (nodes.size === 1) this.duplicates--;
    if (nodes.size === 0) this.where.delete(slot);
  }
}

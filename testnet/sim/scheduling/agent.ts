import type { ReplicaStatus } from '../../../protocol/agent/reconcile.js';
import { statusChanges } from '../../../protocol/agent/status-report.js';
import { slotKey } from '../../../protocol/auction/slot.js';
import type { PlacedSlot } from '../../../protocol/scheduler/plan.js';
import type { DocumentOp } from './document.js';

/** A replica as a runtime holds it: a new id for every start, as a container's. */
interface Running {
  epoch: number;
  id: string;
}

/**
 * The node agent reduced to what scheduling needs: a node runs a slot while its
 * scheduler desires it, and reports, once per (slot, epoch), when it first ran it.
 * That report is what lets the heal rule keep the replica that ran longest.
 * Containers outlive a crashed daemon unless the crash takes them down too.
 */
export class AgentModel {
  /** By node: slot key to the replica running it. */
  private readonly running = new Map<string, Map<string, Running>>();
  private starts = 0;
  /** Slots of `majority` workloads: what a fence keeper removes. */
  private readonly majority = new Set<string>();
  /** By slot: the nodes running it. */
  private readonly where = new Map<string, Set<string>>();
  private readonly firstRunMs = new Map<string, number>();
  /** Slots running on more than one node now. */
  duplicates = 0;
  /** By node: the statuses it wrote for slots of workloads that never start, as the real agent keeps them. */
  private readonly writtenFailures = new Map<string, Map<string, ReplicaStatus>>();

  /** `failsToStart`: the workloads whose replicas no node can start (a spec no runtime can run). */
  constructor(private readonly failsToStart: (workload: string) => boolean = () => false) {}

  /**
   * Starts and stops to match `desired`; returns the statuses to write. `nowMs` is the
   * node's wall clock, `stamp` gives a write's stamp (the document's LWW order).
   */
  reconcile(node: string, desired: readonly PlacedSlot[], nowMs: number, stamp: () => number = () => nowMs): DocumentOp[] {
    const running = this.runningMap(node);
    const ops = this.failedStarts(
      node,
      desired.filter((s) => this.failsToStart(s.workload.key)),
      stamp,
    );
    const startable = desired.filter((s) => !this.failsToStart(s.workload.key));
    const wanted = new Map(startable.map((s) => [slotKey({ workload: s.workload.key, index: s.index }), s.assignment.epoch]));
    for (const s of startable) if (s.workload.partitionPolicy === 'majority') this.majority.add(slotKey({ workload: s.workload.key, index: s.index }));
    for (const [slot, replica] of running) if (wanted.get(slot) !== replica.epoch) this.stop(node, slot);
    for (const [slot, epoch] of wanted) {
      if (running.get(slot)?.epoch === epoch) continue;
      this.start(node, slot, epoch);
      const key = `${slot}|${node}|${epoch}`;
      if (this.firstRunMs.has(key)) continue;
      this.firstRunMs.set(key, nowMs);
      ops.push({ kind: 'status', slot, status: { node, epoch, state: 'running', firstRunningAtMs: nowMs, permanentFailure: false, writtenAtMs: stamp() } });
    }
    return ops;
  }

  /**
   * Slots that cannot start: each fails for good at once (the agent's three tries, without
   * their waits), and what the node writes about them, and about those it no longer holds,
   * is what the real agent's status rule (agent/status-report.ts) writes.
   */
  private failedStarts(node: string, failing: readonly PlacedSlot[], stamp: () => number): DocumentOp[] {
    let written = this.writtenFailures.get(node);
    if (written === undefined) this.writtenFailures.set(node, (written = new Map()));
    const statuses = failing.map(
      (s): ReplicaStatus => ({
        workload: s.workload.key,
        slot: s.index,
        epoch: s.assignment.epoch,
        node,
        specVersion: s.workload.specVersion ?? 'v1',
        state: 'backoff',
        restarts: 0,
        hostPorts: [],
        permanentFailure: true,
        message: 'the runtime cannot start it',
      }),
    );
    const changes = statusChanges(
      written,
      statuses,
      failing.map((s) => ({ workload: s.workload.key, slot: s.index })),
    );
    const ops: DocumentOp[] = [];
    for (const [key, status] of changes) {
      written.set(key, status);
      const { epoch, state, permanentFailure, specVersion } = status;
      ops.push({
        kind: 'status',
        slot: slotKey({ workload: status.workload, index: status.slot }),
        status: { node, epoch, state, permanentFailure, specVersion, writtenAtMs: stamp() },
      });
    }
    return ops;
  }

  stopAll(node: string): void {
    for (const slot of [...this.runningMap(node).keys()]) this.stop(node, slot);
  }

  /** The ids of the node's `majority` replicas: what its lease guards. */
  majorityReplicas(node: string): string[] {
    return [...this.runningMap(node)].filter(([slot]) => this.majority.has(slot)).map(([, replica]) => replica.id);
  }

  /** The slot of the node's replica `id`, if it still runs. */
  slotOfReplica(node: string, id: string): string | undefined {
    for (const [slot, replica] of this.runningMap(node)) if (replica.id === id) return slot;
    return undefined;
  }

  /** A fence keeper removes the node's replica `id`, if it still runs. */
  removeReplica(node: string, id: string): void {
    const slot = this.slotOfReplica(node, id);
    if (slot !== undefined) this.stop(node, slot);
  }

  /** The nodes running `slot` now. */
  runnersOf(slot: string): ReadonlySet<string> {
    return this.where.get(slot) ?? new Set();
  }

  /** Every slot running anywhere, with its runners. */
  slots(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.where;
  }

  private runningMap(node: string): Map<string, Running> {
    let running = this.running.get(node);
    if (running === undefined) this.running.set(node, (running = new Map()));
    return running;
  }

  private start(node: string, slot: string, epoch: number): void {
    this.runningMap(node).set(slot, { epoch, id: `${slot}#${++this.starts}` });
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

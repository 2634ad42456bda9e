import { globalReplicas } from '../../../protocol/scheduler/global-mode.js';
import type { Claim, ClusterView, NodeInfo, SlotStatus, WorkloadInfo } from '../../../protocol/scheduler/view.js';

/** A status as the agent writes it, stamped: the document keeps the newer of two writes to one field (its LWW rule). */
export interface StampedStatus extends SlotStatus {
  writtenAtMs: number;
}

/** One operation of a delta: an operator's workload, a collector's claim, a node's status. */
export type DocumentOp = { kind: 'workload'; workload: WorkloadInfo } | { kind: 'claim'; slot: string; claim: Claim } | { kind: 'status'; slot: string; status: StampedStatus };

/**
 * One node's replica of the parts of the cluster document the scheduler reads. Merging
 * is idempotent and order-free, as the CRDT's is: a claim is a member of a set, a
 * status a last-writer-wins field per (slot, node), a workload a record by key.
 */
export class DocumentReplica {
  workloads: readonly WorkloadInfo[] = [];
  readonly claims = new Map<string, readonly Claim[]>();
  readonly statuses = new Map<string, StampedStatus[]>();
  /** The workloads as the last view counted them, for the members and workloads it was made from. */
  private counted: { nodes: ReadonlyMap<string, NodeInfo>; workloads: readonly WorkloadInfo[]; counted: readonly WorkloadInfo[] } | undefined;

  /** Merges a delta; says whether anything changed. */
  merge(ops: readonly DocumentOp[]): boolean {
    let changed = false;
    for (const op of ops) {
      if (op.kind === 'workload') changed = this.putWorkload(op.workload) || changed;
      else if (op.kind === 'claim') changed = this.addClaim(op.slot, op.claim) || changed;
      else changed = this.putStatus(op.slot, op.status) || changed;
    }
    return changed;
  }

  /** Everything this replica holds, as ops: what an anti-entropy exchange hands a peer. */
  ops(): DocumentOp[] {
    return [
      ...this.workloads.map((workload) => ({ kind: 'workload' as const, workload })),
      ...[...this.claims].flatMap(([slot, claims]) => claims.map((claim) => ({ kind: 'claim' as const, slot, claim }))),
      ...[...this.statuses].flatMap(([slot, statuses]) => statuses.map((status) => ({ kind: 'status' as const, slot, status }))),
    ];
  }

  /** As clusterView makes it: a global workload's count comes from the observer's members. */
  view(nodes: ReadonlyMap<string, NodeInfo>): ClusterView {
    return { nodes, workloads: this.countedFor(nodes), claims: this.claims, statuses: this.statuses };
  }

  /** Counted again only when the members or the workloads changed: views are made far more often than either changes. */
  private countedFor(nodes: ReadonlyMap<string, NodeInfo>): readonly WorkloadInfo[] {
    if (this.counted?.nodes !== nodes || this.counted.workloads !== this.workloads) {
      const counted = this.workloads.map((w) => (w.global === true ? { ...w, replicas: globalReplicas(w.demand, nodes) } : w));
      this.counted = { nodes, workloads: this.workloads, counted };
    }
    return this.counted.counted;
  }

  private putWorkload(workload: WorkloadInfo): boolean {
    if (this.workloads.includes(workload)) return false;
    const others = this.workloads.filter((w) => w.key !== workload.key);
    this.workloads = [...others, workload].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return true;
  }

  private addClaim(slot: string, claim: Claim): boolean {
    const claims = this.claims.get(slot) ?? [];
    if (claims.includes(claim)) return false;
    // A new list, not a push: a view's lists are values (scheduler/assignment.ts folds each once).
    this.claims.set(slot, [...claims, claim]);
    return true;
  }

  private putStatus(slot: string, status: StampedStatus): boolean {
    const statuses = this.statuses.get(slot) ?? [];
    const current = statuses.findIndex((s) => s.node === status.node);
    const held = statuses[current];
    if (held !== undefined && held.writtenAtMs >= status.writtenAtMs) return false;
    this.statuses.set(slot, [...statuses.filter((_, i) => i !== current), status]);
    return true;
  }
}

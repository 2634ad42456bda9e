import { stampOf, type Delta, type Op } from './delta.js';
import type { NodeWritePolicy } from './node-write-policy.js';
import { compareStamp } from './stamp.js';

/** A node's op, with the delta that carries it (its stamp and author). */
export interface NodeOp {
  op: Op;
  delta: Delta;
}

/**
 * The node ops each object holds that did not count when last judged, in the policy's
 * order (rank, then stamp): a change they depend on may make them count. Judging them
 * again after an op of their key counted looks at them alone, not at a fold of the key:
 * a fold on each counted op of a held key (a node writing one epoch past the latest again
 * and again beside one it holds far ahead) cost every node 37.6 s of CPU for 1,000 writes.
 */
export class HeldOps {
  private readonly byKey = new Map<string, NodeOp[]>();

  constructor(private readonly policy: NodeWritePolicy) {}

  /** The policy's order: a recount sorts a key's node ops so. */
  readonly compare = (a: NodeOp, b: NodeOp): number => this.policy.rank(a.op) - this.policy.rank(b.op) || compareStamp(stampOf(a.delta), stampOf(b.delta));

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** What a recount of `key` left uncounted, in the policy's order. */
  set(key: string, ops: NodeOp[]): void {
    if (ops.length > 0) this.byKey.set(key, ops);
    else this.byKey.delete(key);
  }

  clear(): void {
    this.byKey.clear();
  }

  /** Holds one more op of `key`, in its place: a binary search, as a key may hold many. */
  hold(key: string, op: NodeOp): void {
    const held = this.byKey.get(key);
    if (held === undefined) {
      this.byKey.set(key, [op]);
      return;
    }
    let low = 0;
    let high = held.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.compare(held[mid] as NodeOp, op) <= 0) low = mid + 1;
      else high = mid;
    }
    held.splice(low, 0, op);
  }

  /**
   * Judges `key`'s held ops again, in the order a recount judges them, up to the first
   * rank none of whose ops counts (the policy's promise: it lifts no higher one); each
   * that `counts` now is `apply`-ed and let go. What counts is what a recount would count,
   * since a counted op only adds. True when an applied op changed what the key shows.
   */
  lift(key: string, counts: (held: NodeOp) => boolean, apply: (held: NodeOp) => boolean): boolean {
    const held = this.byKey.get(key);
    if (held === undefined) return false;
    const still: NodeOp[] = [];
    let changed = false;
    let i = 0;
    while (i < held.length) {
      const rank = this.policy.rank((held[i] as NodeOp).op);
      let counted = false;
      for (; i < held.length && this.policy.rank((held[i] as NodeOp).op) === rank; i++) {
        const op = held[i] as NodeOp;
        if (counts(op)) {
          changed = apply(op) || changed;
          counted = true;
        } else still.push(op);
      }
      if (!counted) break;
    }
    still.push(...held.slice(i));
    this.set(key, still);
    return changed;
  }
}

import type { Delta } from './delta.js';
import { stampOf } from './delta.js';
import { compareStamp, type Stamp } from './stamp.js';

export const OPERATOR_KIND = 'Operator';
export const OPERATOR_NAMESPACE = 'cluster';

/** Operators are document objects too: Operator/cluster/<first 16 hex digits of the key>, field publicKey. */
export const operatorKey = (publicKey: string): string => `${OPERATOR_KIND}/${OPERATOR_NAMESPACE}/${publicKey.slice(0, 16)}`;

interface Grant {
  publicKey: string | undefined;
  adds: Stamp[];
  removes: Stamp[];
}

const latestBefore = (stamps: readonly Stamp[], stamp: Stamp): Stamp | undefined => {
  let latest: Stamp | undefined;
  for (const s of stamps) if (compareStamp(s, stamp) < 0 && (latest === undefined || compareStamp(s, latest) > 0)) latest = s;
  return latest;
};

/**
 * Who may write, as a function of stamps: a delta by A stamped s counts if A is in the
 * genesis, or if the latest add or remove of A stamped before s is an add. Every
 * replica computes the same answer from the same operator writes, whatever order
 * they arrived in.
 */
export class OperatorRegistry {
  private readonly grants = new Map<string, Grant>();

  constructor(private readonly genesis: ReadonlySet<string>) {}

  allows(author: string, stamp: Stamp): boolean {
    if (this.genesis.has(author)) return true;
    const grant = this.grants.get(operatorKey(author));
    if (grant?.publicKey !== author) return false;
    const added = latestBefore(grant.adds, stamp);
    const removed = latestBefore(grant.removes, stamp);
    return added !== undefined && (removed === undefined || compareStamp(added, removed) > 0);
  }

  /** Ever granted: such an author's deltas are kept, since a later verdict may count them. */
  known(author: string): boolean {
    return this.genesis.has(author) || this.grants.get(operatorKey(author))?.publicKey === author;
  }

  /** Folds in a delta's operator ops; true when a grant changed, so earlier verdicts may change. */
  observe(delta: Delta): boolean {
    const stamp = stampOf(delta);
    let changed = false;
    for (const op of delta.body.ops) {
      if (!op.key.startsWith(`${OPERATOR_KIND}/${OPERATOR_NAMESPACE}/`)) continue;
      let grant = this.grants.get(op.key);
      if (grant === undefined) this.grants.set(op.key, (grant = { publicKey: undefined, adds: [], removes: [] }));
      if ('delete' in op) grant.removes.push(stamp);
      else if (typeof op.set.publicKey === 'string' && operatorKey(op.set.publicKey) === op.key) {
        grant.publicKey = op.set.publicKey;
        grant.adds.push(stamp);
      } else continue;
      changed = true;
    }
    return changed;
  }

  /** Operators that may write now (at `stamp`). */
  active(stamp: Stamp): string[] {
    const keys = [...this.grants.values()].flatMap((g) => (g.publicKey !== undefined && this.allows(g.publicKey, stamp) ? [g.publicKey] : []));
    return [...new Set([...this.genesis, ...keys])].sort();
  }
}

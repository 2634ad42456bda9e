/**
 * A node may run `majority` replicas only within `fenceMs` of the last time it saw a
 * majority of the members: the majority side re-places them only after the node has
 * been dead for fenceMs and a margin. The node's agent enforces that while it runs; the
 * fence keeper, a process of its own, enforces it when the node's process is killed or
 * hangs, since the replicas outlive it.
 */
export interface MajorityLease {
  /** When the node last saw a majority. */
  seenMajorityAtMs: number;
  fenceMs: number;
  /** The node's `majority` replicas, by runtime id. */
  replicas: readonly string[];
}

export interface KeeperStep {
  /** Replicas to remove now: the lease has run out. */
  remove: string[];
  /** Nothing is left to guard: the keeper may exit (the node starts another when it needs one). */
  exit: boolean;
}

/**
 * How long the keeper lets a fenced replica stop (SIGTERM, then SIGKILL) once its lease
 * has run out. The majority side re-places the slot only after the node has been dead
 * for a fence and a margin of another fence (resolve.ts): a removal that starts at the
 * fence and ends within half a fence stays well inside that margin.
 */
export const keeperStopGraceMs = (fenceMs: number): number => fenceMs / 2;

/** The lease has run out: no majority seen for `fenceMs`. The node's scheduler and its fence keeper judge by this one rule. */
export const leaseRunOut = (seenMajorityAtMs: number, fenceMs: number, nowMs: number): boolean => nowMs - seenMajorityAtMs >= fenceMs;

/** What the keeper does on one look at the lease, given the replicas it has already removed. */
export function keeperStep(lease: MajorityLease | undefined, nowMs: number, removed: ReadonlySet<string>): KeeperStep {
  const guarded = (lease?.replicas ?? []).filter((id) => !removed.has(id));
  if (lease === undefined || guarded.length === 0) return { remove: [], exit: true };
  return { remove: leaseRunOut(lease.seenMajorityAtMs, lease.fenceMs, nowMs) ? guarded : [], exit: false };
}

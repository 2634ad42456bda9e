/**
 * Which artifacts a node's store lets go, as Kubernetes' image garbage collection does
 * for images: only one nothing here needs (no workload of the document names it, in its
 * spec or a revision kept for a rollback), and only once it has gone unused for a
 * while. Past `graceMs` unused it goes anyway; over the quota, the least recently used
 * go first, down to `minAgeMs`, so a push is not collected before the apply that names
 * it. Pure: the store says what it holds and when each was last used.
 */
export interface HeldArtifact {
  id: string;
  /** What it takes on disk: its tar and its unpacked files. */
  sizeBytes: number;
  /** When it was last stored, fetched or started from. */
  lastUsedAtMs: number;
}

export interface ArtifactRetention {
  /** Bytes the store may hold (`--artifact-store-bytes`). */
  quotaBytes: number;
  /** An artifact nothing names, unused this long, is removed whatever room is left. */
  graceMs: number;
  /** Nothing unused for less than this is removed, however full the store (a push and its apply come minutes apart). */
  minAgeMs: number;
}

export const defaultArtifactRetention: Readonly<ArtifactRetention> = {
  quotaBytes: 20 * 2 ** 30,
  graceMs: 60 * 60_000,
  /** Kubernetes' imageMinimumGCAge. */
  minAgeMs: 2 * 60_000,
};

export interface RetentionPlan {
  /** Least recently used first. */
  remove: HeldArtifact[];
  /** Bytes held once they are gone, with `incomingBytes` added. */
  heldBytes: number;
  /** Whether that is within the quota. */
  fits: boolean;
}

/**
 * What to remove so the store holds at most its quota with `incomingBytes` more in it
 * (a piece about to be stored; 0 for a sweep), and every unnamed artifact past its grace
 * is gone. `named` are the artifacts something here needs: never removed. Where even
 * that leaves it over the quota, only those past their grace go.
 */
export function planRetention(held: readonly HeldArtifact[], named: ReadonlySet<string>, nowMs: number, policy: ArtifactRetention, incomingBytes = 0): RetentionPlan {
  const unusedMs = (a: HeldArtifact): number => nowMs - a.lastUsedAtMs;
  const sum = (artifacts: readonly HeldArtifact[]): number => artifacts.reduce((total, a) => total + a.sizeBytes, 0);
  const removable = held
    .filter((a) => !named.has(a.id) && unusedMs(a) >= policy.minAgeMs)
    .sort((a, b) => a.lastUsedAtMs - b.lastUsedAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const pastGrace = removable.filter((a) => unusedMs(a) >= policy.graceMs);
  const left = incomingBytes + sum(held) - sum(pastGrace);
  // Then the least recently used of the rest, while over the quota.
  const room: HeldArtifact[] = [];
  let heldBytes = left;
  for (const artifact of removable) {
    if (heldBytes <= policy.quotaBytes) break;
    if (unusedMs(artifact) >= policy.graceMs) continue;
    room.push(artifact);
    heldBytes -= artifact.sizeBytes;
  }
  // Room that would not be enough is not made: nothing is removed in vain.
  if (heldBytes > policy.quotaBytes) return { remove: pastGrace, heldBytes: left, fits: false };
  const chosen = new Set([...pastGrace, ...room]);
  return { remove: removable.filter((a) => chosen.has(a)), heldBytes, fits: true };
}

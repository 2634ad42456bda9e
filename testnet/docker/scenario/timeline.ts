/** What the sampler saw at one moment of a scenario. */
export interface Sample {
  atMs: number;
  /** Per node, in testnet order, its digest `count:xor`, or null where it did not answer in time. */
  digests: (string | null)[];
  /** Per node, how many live members it counts (itself included), or null. */
  liveMembers: (number | null)[];
  /**
   * Per node, how many members it has held dead since it started (its swim.deaths), or
   * null: a counter, so a death between two samples is not missed. Absent in records
   * made before it was sampled.
   */
  deaths?: (number | null)[];
  /** Per node, the worst event-loop lag it has read since it started, ms (its swim.worstLagMs), or null. */
  worstLagMs?: (number | null)[];
  /** Slots with two or more running containers. */
  duplicated: string[];
  /** For each duplicated slot, where its containers ran: `node@epoch`. */
  duplicatedOn: Record<string, string[]>;
  /** Slots of the document with no running container. */
  missing: string[];
  /** Running containers for no slot of the document: `workload#slot`. */
  orphans: string[];
}

/** Healed and settled: every node answers, holds the same deltas, sees every member live, and each slot runs once. */
export function converged(sample: Sample): boolean {
  const nodes = sample.digests.length;
  return (
    sample.digests.every((d) => d !== null && d === sample.digests[0]) &&
    sample.liveMembers.every((m) => m === nodes) &&
    sample.duplicated.length + sample.missing.length + sample.orphans.length === 0
  );
}

/**
 * When the cluster converged for good after `fromMs`: the first sample of the unbroken run
 * of converged samples that ends the list, or null if the last sample has not converged.
 * A run that breaks again (a late write, a replica stopped twice) does not count.
 */
export function convergedAt(samples: readonly Sample[], fromMs: number): number | null {
  let since: number | null = null;
  for (const sample of samples) {
    if (sample.atMs < fromMs) continue;
    if (!converged(sample)) since = null;
    else since ??= sample.atMs;
  }
  return since;
}

/** How long, counted in samples, the run of converged samples at the end has lasted. */
export function convergedFor(samples: readonly Sample[], fromMs: number): number {
  const since = convergedAt(samples, fromMs);
  return since === null ? 0 : samples.filter((s) => s.atMs >= since).length;
}

export interface DuplicateWindow {
  slot: string;
  fromMs: number;
  /** The first sample that no longer saw the duplicate, or the last sample if it never ended. */
  toMs: number;
}

export function duplicateWindows(samples: readonly Sample[]): DuplicateWindow[] {
  const open = new Map<string, number>();
  const windows: DuplicateWindow[] = [];
  for (const sample of samples) {
    for (const [slot, fromMs] of open) {
      if (sample.duplicated.includes(slot)) continue;
      windows.push({ slot, fromMs, toMs: sample.atMs });
      open.delete(slot);
    }
    for (const slot of sample.duplicated) if (!open.has(slot)) open.set(slot, sample.atMs);
  }
  const lastMs = samples.at(-1)?.atMs ?? 0;
  for (const [slot, fromMs] of open) windows.push({ slot, fromMs, toMs: lastMs });
  return windows.sort((a, b) => a.fromMs - b.fromMs);
}

/** Seconds during which at least one slot ran twice: the union of the windows. */
export function duplicateSeconds(windows: readonly DuplicateWindow[]): number {
  let total = 0;
  let reachedMs = -Infinity;
  for (const w of [...windows].sort((a, b) => a.fromMs - b.fromMs)) {
    const fromMs = Math.max(w.fromMs, reachedMs);
    if (w.toMs > fromMs) total += w.toMs - fromMs;
    reachedMs = Math.max(reachedMs, w.toMs);
  }
  return total / 1000;
}

/**
 * Kubernetes' stabilisation windows, kept by every node for every autoscaled workload
 * (each node computes the recommendation each round, deciding or not), so a node that
 * takes over from a dead decider holds the same history and neither flaps nor waits.
 */
export interface Windows {
  upMs: number;
  downMs: number;
}

interface Sample {
  atMs: number;
  replicas: number;
}

export class Stabilisation {
  private samples: Sample[] = [];
  /** Since when recommendations came without a break: the windows count as watched only from there. */
  private sinceMs: number | undefined;

  /** `maxGapMs`: readings further apart than this (a partition, a node that measured nothing) start the watch over. */
  constructor(private readonly maxGapMs = 30_000) {}

  /** Records this round's recommendation; undefined (nothing measured) records nothing. */
  record(atMs: number, replicas: number | undefined): void {
    if (replicas === undefined) return;
    const last = this.samples.at(-1);
    if (this.sinceMs === undefined || last === undefined || atMs - last.atMs > this.maxGapMs) this.sinceMs = atMs;
    this.samples.push({ atMs, replicas });
  }

  /**
   * The count to move to from `current`: up only as far as every recommendation in the
   * up window asked, down only as far as every one in the down window allowed. A window
   * this node has not watched whole (it just started) counts as asking for `current`, so
   * a fresh node never scales down on a few readings.
   */
  stabilised(nowMs: number, current: number, windows: Windows): number {
    this.forget(nowMs - Math.max(windows.upMs, windows.downMs));
    const latest = this.samples.at(-1);
    if (latest === undefined) return current;
    let up = latest.replicas;
    let down = latest.replicas;
    for (const { atMs, replicas } of this.samples) {
      if (atMs > nowMs - windows.upMs) up = Math.min(up, replicas);
      if (atMs > nowMs - windows.downMs) down = Math.max(down, replicas);
    }
    const watched = nowMs - (this.sinceMs ?? nowMs);
    if (watched < windows.upMs) up = Math.min(up, current);
    if (watched < windows.downMs) down = Math.max(down, current);
    return Math.min(Math.max(current, up), down);
  }

  /** Drops samples from before `beforeMs`, both windows past. */
  private forget(beforeMs: number): void {
    const first = this.samples.findIndex((s) => s.atMs > beforeMs);
    // Keep the last sample even when old: it is still the latest recommendation.
    this.samples = first === -1 ? this.samples.slice(-1) : this.samples.slice(first);
  }
}

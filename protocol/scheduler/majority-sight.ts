import { leaseRunOut } from '../agent/majority-fence.js';
import { CatchUp } from './catch-up.js';
import { seesMajority } from './resolve.js';
import type { ClusterView } from './view.js';

/**
 * What a node knows of its sight of a majority, tick by tick: when it last saw one (the
 * lease its fence keeper enforces too), since when without a break (resolve.ts
 * SlotContext), and whether, back after a fence or more away, it has caught up with the
 * majority's decisions (catch-up.ts). The scheduler's one owner of these.
 */
export class MajoritySight {
  private seenAtMs: number;
  /** Back in a majority's sight after a fence or more away, the node stays fenced until it has caught up (catch-up.ts). */
  private readonly catchUp: CatchUp;
  /** The last tick showed a majority. */
  private hadMajority = false;
  /** Since when ticks have shown a majority without a break. */
  private sinceMs = Number.POSITIVE_INFINITY;

  /**
   * `seenAtMs`: when this node last saw a majority, as it stored it before a restart
   * (else its start). Until a tick shows a majority it counts from then, so a node that
   * restarts again and again does not extend its fence.
   */
  constructor(
    private readonly fenceMs: number,
    seenAtMs: number,
  ) {
    this.seenAtMs = seenAtMs;
    this.catchUp = new CatchUp(fenceMs);
  }

  /** Takes in one tick's view; returns since when the majority has been seen without a break. */
  observe(view: ClusterView, self: string, nowMs: number): number {
    // A clock stepped back (NTP, the testnet's skew fault) must not leave the lease, the
    // catch-up fence or the majority's start in its future: they would hold for the step.
    this.seenAtMs = Math.min(this.seenAtMs, nowMs);
    this.catchUp.clamp(nowMs);
    if (Number.isFinite(this.sinceMs)) this.sinceMs = Math.min(this.sinceMs, nowMs);
    const sees = seesMajority(view.nodes);
    if (sees) {
      // Out of a majority's sight for a fence (cut off, restarted, or paused and not
      // ticking at all), a node stays fenced until it has caught up with the majority's
      // decisions (the replacements): see catch-up.ts.
      const away = leaseRunOut(this.seenAtMs, this.fenceMs, nowMs);
      if (away) this.catchUp.begin(nowMs);
      if (away || !this.hadMajority) this.sinceMs = nowMs;
      this.seenAtMs = nowMs;
    }
    this.hadMajority = sees;
    this.catchUp.settle(view, self, nowMs);
    return this.sinceMs;
  }

  /** Not seen a majority for fenceMs, or catching up after it did again: no `majority` replicas. */
  fenced(nowMs: number): boolean {
    return leaseRunOut(this.seenAtMs, this.fenceMs, nowMs) || this.catchUp.active;
  }

  /** This node completed an anti-entropy exchange with `peer`, begun at `startedAtMs`. */
  synced(peer: string, startedAtMs: number): void {
    this.catchUp.synced(peer, startedAtMs);
  }

  get catchingUp(): boolean {
    return this.catchUp.active;
  }

  get lastSeenAtMs(): number {
    return this.seenAtMs;
  }
}

import type { ClusterView } from './view.js';

/**
 * A node back in a majority's sight after a fence or more away (cut off, restarted, or
 * paused and not ticking at all) stays fenced until it has caught up with the
 * majority's decisions, the replacements among them: a fence has passed (the majority
 * side may decide for that long), and it has completed anti-entropy exchanges, begun
 * since it came back, with enough live peers that they and it are a strict majority of
 * the members. Those peers intersect the majority that decided while it was away, so it
 * then holds their decisions. A fixed time alone was a guess: on a busy host a healed
 * node's view took longer than a fence to arrive, and it ran a slot the majority had
 * moved (issue 20, item 8).
 */
export class CatchUp {
  private state: { sinceMs: number; synced: Set<string> } | undefined;

  constructor(private readonly fenceMs: number) {}

  /** Catching up now; the node must not run `majority` replicas. */
  get active(): boolean {
    return this.state !== undefined;
  }

  /** The node sees a majority again after a time away. */
  begin(nowMs: number): void {
    this.state = { sinceMs: nowMs, synced: new Set() };
  }

  /** A clock stepped back (NTP, the testnet's skew fault) must not leave the catch-up in its future. */
  clamp(nowMs: number): void {
    if (this.state !== undefined) this.state.sinceMs = Math.min(this.state.sinceMs, nowMs);
  }

  /** This node completed an anti-entropy exchange with `peer`, begun at `startedAtMs`: it holds everything the peer held then. */
  synced(peer: string, startedAtMs: number): void {
    if (this.state !== undefined && startedAtMs >= this.state.sinceMs) this.state.synced.add(peer);
  }

  /** Ends the catch-up once caught up, as the view at `nowMs` shows the members. */
  settle(view: ClusterView, self: string, nowMs: number): void {
    const state = this.state;
    if (state === undefined || nowMs - state.sinceMs < this.fenceMs) return;
    let members = 0;
    let synced = 0;
    for (const node of view.nodes.values()) {
      if (node.state === 'left') continue;
      members++;
      if (node.id !== self && node.state === 'alive' && state.synced.has(node.id)) synced++;
    }
    if ((synced + 1) * 2 > members) this.state = undefined;
  }
}

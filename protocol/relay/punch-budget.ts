/**
 * Hole punches one peer may have this node dial in a minute. A punch is a peer's
 * request (its DCUtR CONNECT names where to dial) that this node answers with
 * connection attempts to those addresses: without a bound, a member could use every
 * node as a reflector of connection attempts. DCUtR tries 3 times a relayed
 * connection, and two members that dial each other at once hold two: 6 covers both.
 */
export const PUNCHES_PER_PEER = 6;
export const PUNCH_WINDOW_MS = 60_000;

/** A rolling window of punches per peer; peers with none in the window are forgotten, so it holds only peers punched within the last minute. */
export class PunchBudget {
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly limit = PUNCHES_PER_PEER,
    private readonly windowMs = PUNCH_WINDOW_MS,
  ) {}

  /** Whether a punch to `peer` may dial now; one that may is counted against it. */
  take(peer: string, nowMs: number): boolean {
    const since = nowMs - this.windowMs;
    for (const [other, times] of this.recent) if (times.every((t) => t <= since)) this.recent.delete(other);
    const times = (this.recent.get(peer) ?? []).filter((t) => t > since);
    const allowed = times.length < this.limit;
    if (allowed) times.push(nowMs);
    if (times.length > 0) this.recent.set(peer, times);
    return allowed;
  }

  /** Peers held: those punched within the window. */
  get size(): number {
    return this.recent.size;
  }
}

/**
 * The floor under a transfer's pace, as its sender judges it. A node serves one transfer
 * at a time (node/content/transfer.ts), so a receiver that reads slowly, by weakness or
 * by design, would otherwise hold every other node off until a stall timeout, which a
 * byte now and then defeats. The sender counts what the receiver took over windows of
 * the receiver's own time, and ends a transfer whose window averaged less than the
 * floor; the receiver resumes from the offset it holds, later, once others had a turn.
 *
 * The receiver's time is the transfer's time less what the sender spent on itself:
 * waiting for its own bandwidth cap (`--image-bandwidth`) or for the archive it serves
 * to be written. A capped or still-saving sender is not the receiver's fault.
 */
export interface PaceFloor {
  /** Bytes a second a window must average. */
  minBytesPerSecond: number;
  /** Receiver time a window spans before it is judged. */
  windowMs: number;
}

/**
 * 32 KiB/s over 20 s: far below any link a fleet moves images over (a 256 kbit/s uplink
 * is 32 KB/s), so an honest receiver, even one under its own cap, clears it; a receiver
 * that takes less holds the slot 20 s at most each turn.
 */
export const DEFAULT_PACE_FLOOR: PaceFloor = { minBytesPerSecond: 32 * 1024, windowMs: 20_000 };

export type PaceVerdict = { ok: true } | { ok: false; bytesPerSecond: number };

/** One transfer's pace, fed the bytes sent and the sender's own waits, asked for a verdict as often as the caller likes. */
export class TransferPace {
  private windowStartMs: number;
  private windowBytes = 0;
  private excusedMs = 0;
  private excusedSinceMs: number | undefined;

  constructor(
    private readonly floor: PaceFloor,
    nowMs: number,
  ) {
    this.windowStartMs = nowMs;
  }

  /** The receiver took `bytes` more. */
  sent(bytes: number): void {
    this.windowBytes += bytes;
  }

  /** The sender begins waiting on itself (its cap, its spool): the clock stops for the receiver. */
  excuseFrom(nowMs: number): void {
    this.excusedSinceMs ??= nowMs;
  }

  /** The sender's own wait is over. */
  excuseUntil(nowMs: number): void {
    if (this.excusedSinceMs === undefined) return;
    this.excusedMs += Math.max(0, nowMs - this.excusedSinceMs);
    this.excusedSinceMs = undefined;
  }

  /**
   * Once the window holds `windowMs` of the receiver's time: too slow where it averaged
   * below the floor, else a new window begins. Before that, ok.
   */
  verdict(nowMs: number): PaceVerdict {
    const excused = this.excusedMs + (this.excusedSinceMs === undefined ? 0 : Math.max(0, nowMs - this.excusedSinceMs));
    const receiverMs = nowMs - this.windowStartMs - excused;
    if (receiverMs < this.floor.windowMs) return { ok: true };
    const bytesPerSecond = (this.windowBytes * 1000) / receiverMs;
    if (bytesPerSecond < this.floor.minBytesPerSecond) return { ok: false, bytesPerSecond };
    this.windowStartMs = nowMs;
    this.windowBytes = 0;
    this.excusedMs = 0;
    if (this.excusedSinceMs !== undefined) this.excusedSinceMs = nowMs;
    return { ok: true };
  }
}

/**
 * Receivers lately ended for their pace, each turned away (`busy`) until its time is up:
 * otherwise the one ended would ask again at once and take the slot back before anyone
 * else could. Bounded: the oldest entry goes first, past `maxPeers`.
 */
export class SlowReceivers {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly penaltyMs: number,
    private readonly maxPeers = 1024,
  ) {}

  ended(peer: string, nowMs: number): void {
    this.until.delete(peer);
    this.until.set(peer, nowMs + this.penaltyMs);
    for (const [p, untilMs] of this.until) if (this.until.size > this.maxPeers || untilMs <= nowMs) this.until.delete(p);
  }

  /** When `peer` may be served again, or undefined where it may now. */
  turnedAwayUntil(peer: string, nowMs: number): number | undefined {
    const untilMs = this.until.get(peer);
    if (untilMs === undefined) return undefined;
    if (untilMs > nowMs) return untilMs;
    this.until.delete(peer);
    return undefined;
  }
}

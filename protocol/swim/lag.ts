import type { SwimConfig } from './config.js';
import { decayedLagMs, lagHealthScore, lagNoiseMs } from './formulas.js';

/**
 * How late this node runs, and how late its peers say they run: the second half of local
 * health, beside Lifeguard's awareness (awareness.ts). Two things tell a node its own lag:
 * the event-loop delay its driver measures (reportLag), and its own timers firing well
 * after the time it asked for. Both mean the same for a verdict: an answer may sit unread,
 * or come late, past the time the configuration allows for one. The estimate is the worst
 * lag seen, halving every `lagHalfLifeMs`, so a node that recovers returns to its
 * configured pace. A node says its estimate on every message while it is worth a score,
 * and its peers wait for it that much longer (saidScore). Late acks are no evidence of
 * one's own lag: a slow target makes them, and it says so itself.
 *
 * Off (`enabled` false), it observes nothing and scores 0: Lifeguard as memberlist has it.
 */
export class LagHealth {
  private peakMs = 0;
  private peakAtMs = 0;
  /** What members said of their own lag on their last message, by member index, and when it came. */
  private readonly said = new Map<number, { lagMs: number; atMs: number }>();

  constructor(
    private readonly config: Pick<SwimConfig, 'probeTimeoutMs' | 'awarenessMax' | 'lagHalfLifeMs'>,
    readonly enabled: boolean,
  ) {}

  /** A lag of `lagMs` seen at `nowMs` (a measurement, or a timer of ours that late). */
  observe(lagMs: number, nowMs: number): void {
    if (!this.enabled || !(lagMs > this.estimateMs(nowMs))) return;
    this.peakMs = lagMs;
    this.peakAtMs = nowMs;
  }

  /** The lag this node reckons with at `nowMs`: the worst seen, decayed since. */
  estimateMs(nowMs: number): number {
    if (this.peakMs === 0) return 0;
    return decayedLagMs(this.peakMs, Math.max(0, nowMs - this.peakAtMs), this.config.lagHalfLifeMs);
  }

  /** Its part of the local health score: 0 while the lag is noise. */
  score(nowMs: number): number {
    return this.enabled ? lagHealthScore(this.estimateMs(nowMs), this.config.probeTimeoutMs, this.config.awarenessMax) : 0;
  }

  /**
   * What this node tells others of its lag, on every message it sends: its estimate, whole
   * ms, when it is worth a score (otherwise nothing, so a healthy cluster's messages are
   * unchanged).
   */
  toSay(nowMs: number): number | undefined {
    return this.score(nowMs) > 0 ? Math.ceil(this.estimateMs(nowMs)) : undefined;
  }

  /** Member `index` said, on a message that arrived at `nowMs`, that it runs `lagMs` late (nothing said: no lag worth a score). */
  heard(index: number | undefined, lagMs: number | undefined, nowMs: number): void {
    if (!this.enabled || index === undefined) return;
    if (lagMs === undefined) this.said.delete(index);
    else this.said.set(index, { lagMs, atMs: nowMs });
  }

  /**
   * What member `index` last said of its lag (decayed since it said it), as a score. A
   * member that knows it is slow tells its peers so before it stalls: they give its acks
   * and its refutations that much longer (the probe timeout, a relay's wait, a suspicion),
   * since its silence is more likely a stall than a death.
   */
  saidScore(index: number | undefined, nowMs: number): number {
    const said = index === undefined ? undefined : this.said.get(index);
    if (said === undefined) return 0;
    return lagHealthScore(decayedLagMs(said.lagMs, Math.max(0, nowMs - said.atMs), this.config.lagHalfLifeMs), this.config.probeTimeoutMs, this.config.awarenessMax);
  }

  /** The score a suspicion of member `index` is stretched by: this node's own, or what the suspect said of itself, whichever is higher. */
  suspicionScore(index: number | undefined, nowMs: number): number {
    return Math.max(this.score(nowMs), this.saidScore(index, nowMs));
  }

  forget(index: number): void {
    this.said.delete(index);
  }

  /**
   * True when a timer due at `dueAtMs` fires at `nowMs` so late that the loop was stalled
   * past it: input may wait unread behind it (Node runs expired timers before it reads
   * sockets), so a verdict it would give waits one turn of the loop. Never when off.
   */
  late(dueAtMs: number | undefined, nowMs: number): boolean {
    return this.enabled && dueAtMs !== undefined && nowMs - dueAtMs > lagNoiseMs(this.config.probeTimeoutMs);
  }
}

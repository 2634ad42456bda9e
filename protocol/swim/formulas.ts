/** The protocol's formulas as pure functions, named after the papers. */

const log10Size = (members: number): number => Math.log10(Math.max(members, 1));

/**
 * Lifeguard's dynamic suspicion timeout. Min is alpha * log10(N) probe periods, max is
 * beta * min; each independent confirmation moves the timeout from max toward min
 * logarithmically, reaching min at `expected` confirmations.
 */
export function suspicionTimeoutMs(p: { members: number; probeIntervalMs: number; alpha: number; beta: number; confirmations: number; expected: number }): number {
  const min = Math.floor(Math.max(1, p.alpha * log10Size(p.members)) * p.probeIntervalMs);
  const max = p.beta * min;
  if (p.expected < 1) return min;
  const frac = Math.log(p.confirmations + 1) / Math.log(p.expected + 1);
  return Math.max(min, Math.floor(max - (max - min) * frac));
}

/** Confirmations that bring a suspicion to its minimum: memberlist's SuspicionMult - 2, none in tiny clusters. */
export function expectedConfirmations(alpha: number, members: number): number {
  const k = alpha - 2;
  return members - 2 < k ? 0 : Math.max(0, k);
}

/** lambda * ceil(log10(N + 1)): enough sends for an epidemic to reach every member w.h.p. */
export function retransmitLimit(lambda: number, members: number): number {
  return lambda * Math.ceil(Math.log10(members + 1));
}

/** memberlist's pushPullScale: past 32 members, one more interval per doubling, so sync traffic stays flat. */
export function pushPullIntervalMs(baseMs: number, members: number): number {
  if (members <= 32) return baseMs;
  const multiplier = Math.ceil(Math.log2(members) - Math.log2(32)) + 1;
  return baseMs * multiplier;
}

/** Lifeguard's local health: a node with score s waits (s + 1) times longer before judging others. */
export function scaleByHealth(timeoutMs: number, healthScore: number): number {
  return timeoutMs * (healthScore + 1);
}

/**
 * Lag a driver or a timer may show on a healthy host: a quarter of the probe timeout (50 ms
 * local, 125 ms LAN, 300 ms edge). Node's timers run a few ms late on an idle host and
 * tens of ms on a busy one; below this, lag is noise and changes nothing.
 */
export function lagNoiseMs(probeTimeoutMs: number): number {
  return probeTimeoutMs / 4;
}

/**
 * How often the node reads its own event loop's lag: half the noise floor (25 ms local,
 * 62 ms LAN, 150 ms edge). A stall is read at most one tick short, so any stall longer than
 * one and a half times the noise floor counts. Not shorter: every tick wakes the process,
 * and on an idle host a wakeup costs more than its work (a bare 20 ms timer was 0.7% of a
 * core on the benchmark machine, a 100 ms one 0.23%: docs/benchmarks.md, "Footprint").
 */
export function lagTickMs(probeTimeoutMs: number): number {
  return Math.round(lagNoiseMs(probeTimeoutMs) / 2);
}

/**
 * The local health score a lag of `lagMs` is worth: one step per probe timeout of lag, so
 * a timeout scaled by (score + 1) still leaves the configured time once the lag is spent
 * (scaleByHealth); 0 while the lag is noise, and capped like Lifeguard's own score.
 */
export function lagHealthScore(lagMs: number, probeTimeoutMs: number, awarenessMax: number): number {
  if (!(lagMs > lagNoiseMs(probeTimeoutMs))) return 0;
  return Math.min(awarenessMax - 1, Math.ceil(lagMs / probeTimeoutMs));
}

/** A lag estimate `elapsedMs` after it was seen: it halves every `halfLifeMs`. */
export function decayedLagMs(lagMs: number, elapsedMs: number, halfLifeMs: number): number {
  return lagMs * 2 ** (-elapsedMs / halfLifeMs);
}

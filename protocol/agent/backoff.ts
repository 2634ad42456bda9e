/**
 * Restart back-off in the shape of Kubernetes' CrashLoopBackOff: the wait doubles with
 * every restart, up to a cap, and a replica that stays up long enough starts over.
 */
export interface BackoffConfig {
  /** The wait before the first restart. */
  initialMs: number;
  /** No wait is longer than this, however many restarts came before. */
  maxMs: number;
  /** A replica that ran this long without exiting starts its count again. */
  resetAfterMs: number;
}

export const defaultBackoff: Readonly<BackoffConfig> = {
  /** Kubernetes waits 10 s; one retry costs a process start, so a transient failure (a port in TIME_WAIT, a peer booting) heals 10x sooner. */
  initialMs: 1_000,
  /** Kubernetes' cap: a replica broken for good costs one start per five minutes, and is never more than that from recovering. */
  maxMs: 5 * 60_000,
  /** The kubelet forgets a back-off after twice the cap: ten minutes up means healthy, so the next crash is news, not a loop. */
  resetAfterMs: 10 * 60_000,
};

/** initialMs * 2^restarts, capped at maxMs: the wait after an exit that follows `restarts` restarts. */
export function restartDelayMs(restarts: number, config: BackoffConfig): number {
  // Past 2^1023 the power is Infinity, and 0 * Infinity would be NaN for a zero initial wait.
  const doublings = Math.min(Math.max(0, Math.floor(restarts)), 1023);
  return Math.min(config.maxMs, config.initialMs * 2 ** doublings);
}

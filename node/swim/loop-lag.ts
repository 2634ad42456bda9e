/** The worst event-loop delay since the last reading: what the SWIM machine's lag awareness is fed (protocol/swim/lag.ts). */
export interface LoopLag {
  start(): void;
  /** The worst delay since the last call (or the start), in ms beyond the monitor's own tick; then starts over. */
  takeWorstMs(): number;
  stop(): void;
}

/** Runs `tick` every `ms` until the returned function is called; the default neither keeps a process alive nor is exact. */
export type Repeat = (tick: () => void, ms: number) => () => void;

const repeat: Repeat = (tick, ms) => {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * A timer of its own, ticking every `tickMs` (formulas.lagTickMs: the preset's noise floor
 * decides it), that keeps the worst lateness of its ticks, and of the tick still to come
 * when it is read. Not perf_hooks'
 * monitorEventLoopDelay: after its reset() the first interval goes unrecorded, so a stall
 * that began just after a reading was never read (measured: a 250 ms stall read as 5 ms).
 */
export function eventLoopLag(tickMs: number, now: () => number = () => performance.now(), every: Repeat = repeat): LoopLag {
  let cancel: (() => void) | undefined;
  let lastTickMs = 0;
  let worstMs = 0;
  return {
    start() {
      if (cancel !== undefined) return;
      lastTickMs = now();
      cancel = every(() => {
        const ranAtMs = now();
        worstMs = Math.max(worstMs, ranAtMs - lastTickMs - tickMs);
        lastTickMs = ranAtMs;
      }, tickMs);
    },
    takeWorstMs() {
      if (cancel === undefined) return 0;
      const worst = Math.max(0, worstMs, now() - lastTickMs - tickMs);
      worstMs = 0;
      return worst;
    },
    stop() {
      cancel?.();
      cancel = undefined;
    },
  };
}

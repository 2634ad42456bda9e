/** The worst event-loop delay since the last reading: what the SWIM machine's lag awareness is fed (protocol/swim/lag.ts). */
export interface LoopLag {
  start(): void;
  /** The worst delay since the last call (or the start), in ms beyond the monitor's own tick; then starts over. */
  takeWorstMs(): number;
  stop(): void;
}

/**
 * The monitor's tick. A loop that runs nothing for longer than a tick shows it; 20 ms
 * keeps the cost at fifty trivial callbacks a second, while SWIM's noise floor is 50 ms
 * on the `local` preset and more on the others (formulas.lagNoiseMs).
 */
export const LOOP_TICK_MS = 20;

/** Runs `tick` every `ms` until the returned function is called; the default neither keeps a process alive nor is exact. */
export type Repeat = (tick: () => void, ms: number) => () => void;

const repeat: Repeat = (tick, ms) => {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * A timer of its own, ticking every LOOP_TICK_MS, that keeps the worst lateness of its
 * ticks, and of the tick still to come when it is read. Not perf_hooks'
 * monitorEventLoopDelay: after its reset() the first interval goes unrecorded, so a stall
 * that began just after a reading was never read (measured: a 250 ms stall read as 5 ms).
 */
export function eventLoopLag(now: () => number = () => performance.now(), every: Repeat = repeat): LoopLag {
  let cancel: (() => void) | undefined;
  let lastTickMs = 0;
  let worstMs = 0;
  return {
    start() {
      if (cancel !== undefined) return;
      lastTickMs = now();
      cancel = every(() => {
        const tickMs = now();
        worstMs = Math.max(worstMs, tickMs - lastTickMs - LOOP_TICK_MS);
        lastTickMs = tickMs;
      }, LOOP_TICK_MS);
    },
    takeWorstMs() {
      if (cancel === undefined) return 0;
      const worst = Math.max(0, worstMs, now() - lastTickMs - LOOP_TICK_MS);
      worstMs = 0;
      return worst;
    },
    stop() {
      cancel?.();
      cancel = undefined;
    },
  };
}

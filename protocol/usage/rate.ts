/** A replica's cumulative CPU time as a runtime read it, and when. */
export interface CpuReading {
  /** CPU time used since the replica (this run of it) started, in nanoseconds. */
  cpuNanos: number;
  atMs: number;
}

/**
 * The CPU a replica used between two readings, in millicores (1000 = one core busy the
 * whole time), rounded. Undefined where no honest rate exists: time that did not move
 * forward, or a counter that went back, as it does when a replica restarts in place and
 * its count starts over.
 */
export function cpuMillicores(before: CpuReading, after: CpuReading): number | undefined {
  const elapsedMs = after.atMs - before.atMs;
  const usedNanos = after.cpuNanos - before.cpuNanos;
  if (!(elapsedMs > 0) || !(usedNanos >= 0)) return undefined;
  // ns per ms is 1e6 per core; millicores are a thousandth of a core.
  return Math.round(usedNanos / elapsedMs / 1_000);
}

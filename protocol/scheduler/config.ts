import type { ResolveConfig } from './resolve.js';

export interface SchedulerConfig extends ResolveConfig {
  /**
   * An auction closes this long after it opened even if some live member never answered
   * (it may be dead but not yet known so). Long, since slow is not dead: a live node on a
   * busy host answers late, and closing without it skews a spread (measured in the
   * simulator: answers 3.5 s late against a 3 s window gave 3/2/1 for six replicas); a
   * dead one leaves the live set as soon as SWIM suspects it, and the auction closes then.
   */
  windowMs: number;
  /** The window when every member still to answer let the last auction close without it (close.ts). */
  silentWindowMs: number;
  /** Nodes that collect each auction's answers; more than one, so a collector's crash does not stall the slot. */
  collectors: number;
  /** A standby collector writes its decision only if the one ranked above it has not, this long per rank after closing. */
  standbyMs: number;
  /** A node defers an auction forecast for another node at most this long; then it bids if it can. */
  deferMs: number;
  /** An auction that waited for bids gathers them this long after the first (deferring nodes bid as they tick). */
  gatherMs: number;
  /** A bid's reservation outlives its auction by this much at most, so a lost auction never leaks capacity. */
  reservationTtlMs: number;
  /** An answer not yet reflected in a decision is sent again this often (streams can fail). */
  resendMs: number;
  /** Back-off of a slot no node could take: base, doubling per empty auction, capped. */
  retryBaseMs: number;
  /**
   * Each empty auction is a claim every node keeps for good: at a 30 s cap, 2,880 a day
   * for each slot that cannot be placed; at five minutes, 300. Five minutes is
   * Kubernetes' cap on how long an unschedulable pod waits between retries, and as there
   * what frees room retries the slot at once (room-freed.ts), as does a change in the
   * members that could take it.
   */
  retryMaxMs: number;
  /**
   * A node declines a slot whose replica failed for good there this long (failed-here.ts):
   * Kubernetes' cap on a restart's back-off. A cause outside the spec (a full disk, a host
   * port another program held) may pass, and a workload that failed on every node must
   * not wait for a new spec forever; tried again, it costs a node a few starts a round.
   */
  failedHereDeclineMs: number;
  /** Answers held for auctions this node does not see open yet (its view lags); oldest dropped first. */
  maxEarlyAnswers: number;
  /**
   * A node that must know whether it still reaches a majority pings every member this
   * often (majority-evidence.ts). Cut off, it sees the far side silent within this and a
   * probe period: well inside the margin the majority side waits beyond the fence.
   */
  censusMs: number;
  /**
   * The longest an idle scheduler waits between two ticks (idle.ts): the view changes
   * tick it at once, but a tick also renews the majority lease and sees what changes with
   * time alone, such as members gone silent after a census.
   */
  idleTickMs: number;
}

/** `stepMs`: a round trip with room to spare, the unit of the timers that wait on another node. */
const base = (stepMs: number, silentWindowMs: number, fenceMs: number): SchedulerConfig => ({
  windowMs: stepMs * 20,
  silentWindowMs,
  collectors: 2,
  standbyMs: stepMs,
  deferMs: stepMs * 3,
  gatherMs: Math.max(150, stepMs / 5),
  reservationTtlMs: stepMs * 40,
  resendMs: stepMs,
  retryBaseMs: 1_000,
  retryMaxMs: 5 * 60_000,
  failedHereDeclineMs: 5 * 60_000,
  maxEarlyAnswers: 20_000,
  fenceMs,
  fenceMarginMs: fenceMs,
  censusMs: fenceMs / 2,
  idleTickMs: stepMs,
});

/**
 * Presets as for SWIM. The window only matters when a live member does not answer:
 * the usual close is "every live member answered", a round trip on a LAN. The fence
 * (majority workloads only) must exceed the time a cut-off node takes to notice it.
 */
export const schedulerConfig = {
  lan: (): SchedulerConfig => base(1_000, 4_000, 10_000),
  local: (): SchedulerConfig => base(500, 3_000, 3_000),
  edge: (): SchedulerConfig => base(3_000, 9_000, 30_000),
};

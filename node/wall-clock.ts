import type { Clock } from '../base/clock.js';

/**
 * The node's wall clock: the host's (Date.now) plus an offset. The offset is for fault
 * injection only (`shoal start --enable-fault-injection`, POST /v1/faults/clock): a
 * testnet shows what a node with a wrong clock does by setting it. One instance is made
 * by startNode (node/daemon.ts) and handed to everything in the node that reads wall
 * time, so the skew moves the SWIM machine, the hybrid logical clock of writes, the
 * scheduler, the agent and the API's signature window together, and nothing outside
 * the node (Date.now itself is left alone). Timers keep real time: a skewed clock, not
 * a faster one.
 */
export class WallClock implements Clock {
  private offset = 0;

  /** `host` is the clock the offset is added to: Date.now, or a test's own. */
  constructor(private readonly host: () => number = () => Date.now()) {}

  nowMs(): number {
    return this.host() + this.offset;
  }

  /** How far this clock is from the host's (positive: ahead); 0 unless a fault set it. */
  get offsetMs(): number {
    return this.offset;
  }

  /** Sets the offset (positive: ahead); replaces any earlier one, and 0 restores the host's clock. */
  setOffset(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`a clock offset must be a finite number of ms, not ${ms}`);
    this.offset = ms;
  }
}

/** The host's clock, never offset: the default of a module given no clock (its tests, tools outside the daemon). */
export const hostClock: Clock = { nowMs: () => Date.now() };

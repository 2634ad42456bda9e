import { err, ok, type Result } from '../protocol/result.js';

/** A hybrid logical clock reading: wall-clock milliseconds, and a counter for events within one millisecond. */
export interface Hlc {
  wallMs: number;
  counter: number;
}

export const compareHlc = (a: Hlc, b: Hlc): number => a.wallMs - b.wallMs || a.counter - b.counter;

export interface ClockSkewError {
  code: 'clock-ahead';
  aheadMs: number;
}

/**
 * Kulkarni et al.'s hybrid logical clock, with a bound on how far ahead of the local
 * physical clock a remote reading may be: a node with a wild clock would otherwise
 * win every last-writer-wins register forever.
 */
export class HybridClock {
  private last: Hlc = { wallMs: 0, counter: 0 };

  constructor(private readonly maxAheadMs: number) {}

  /** A reading for a local event at physical time `physicalMs`. */
  now(physicalMs: number): Hlc {
    if (physicalMs > this.last.wallMs) this.last = { wallMs: physicalMs, counter: 0 };
    else this.last = { wallMs: this.last.wallMs, counter: this.last.counter + 1 };
    return this.last;
  }

  /** Folds in a remote reading, or refuses it when it runs too far ahead of `physicalMs`. */
  observe(remote: Hlc, physicalMs: number): Result<void, ClockSkewError> {
    const aheadMs = remote.wallMs - physicalMs;
    if (aheadMs > this.maxAheadMs) return err({ code: 'clock-ahead', aheadMs });
    const wallMs = Math.max(this.last.wallMs, remote.wallMs, physicalMs);
    let counter = 0;
    if (wallMs === this.last.wallMs && wallMs === remote.wallMs) counter = Math.max(this.last.counter, remote.counter) + 1;
    else if (wallMs === this.last.wallMs) counter = this.last.counter + 1;
    else if (wallMs === remote.wallMs) counter = remote.counter + 1;
    this.last = { wallMs, counter };
    return ok(undefined);
  }

  /** Refuses a reading too far ahead without changing the clock. */
  check(remote: Hlc, physicalMs: number): Result<void, ClockSkewError> {
    const aheadMs = remote.wallMs - physicalMs;
    return aheadMs > this.maxAheadMs ? err({ code: 'clock-ahead', aheadMs }) : ok(undefined);
  }
}

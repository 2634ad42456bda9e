import { err, ok, type Result } from '../base/result.js';

/** A hybrid logical clock reading: wall-clock milliseconds, and a counter for events within one millisecond. */
export interface Hlc {
  wallMs: number;
  counter: number;
}

export const compareHlc = (a: Hlc, b: Hlc): number => a.wallMs - b.wallMs || a.counter - b.counter;

/**
 * The largest counter a reading may carry. A counter grows only while the physical clock
 * is behind the latest wall time seen, one step per event: a million events inside one
 * millisecond of lag is far past any real cluster, and far below what the delta schema
 * admits, so a clock that reaches it rolls over to the next millisecond instead (a
 * counter at the schema's limit would make every later write unencodable), and a
 * remote reading above it is refused rather than dragging every clock up to it.
 */
export const MAX_HLC_COUNTER = 1 << 20;

export type ClockError = { code: 'clock-ahead'; aheadMs: number } | { code: 'clock-counter'; counter: number };

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
    this.last = readingAfter(this.last, physicalMs);
    return this.last;
  }

  /** Folds in a remote reading, or refuses it when it runs too far ahead of `physicalMs`. */
  observe(remote: Hlc, physicalMs: number): Result<void, ClockError> {
    const checked = this.check(remote, physicalMs);
    if (!checked.ok) return checked;
    const wallMs = Math.max(this.last.wallMs, remote.wallMs, physicalMs);
    let counter = 0;
    if (wallMs === this.last.wallMs && wallMs === remote.wallMs) counter = Math.max(this.last.counter, remote.counter) + 1;
    else if (wallMs === this.last.wallMs) counter = this.last.counter + 1;
    else if (wallMs === remote.wallMs) counter = remote.counter + 1;
    this.last = rollOver({ wallMs, counter });
    return ok(undefined);
  }

  /** Refuses a reading too far ahead, or with a counter past the bound, without changing the clock. */
  check(remote: Hlc, physicalMs: number): Result<void, ClockError> {
    const aheadMs = remote.wallMs - physicalMs;
    if (aheadMs > this.maxAheadMs) return err({ code: 'clock-ahead', aheadMs });
    if (remote.counter > MAX_HLC_COUNTER) return err({ code: 'clock-counter', counter: remote.counter });
    return ok(undefined);
  }
}

/**
 * The reading of an event at physical time `physicalMs` that must order after `seen`:
 * the clock's own rule for a local event, and the rule for a writer that keeps no clock
 * of its own (the CLI, after the node suggested the latest reading it has seen).
 */
export const readingAfter = (seen: Hlc, physicalMs: number): Hlc =>
  physicalMs > seen.wallMs ? { wallMs: physicalMs, counter: 0 } : rollOver({ wallMs: seen.wallMs, counter: seen.counter + 1 });

/** Past the counter bound the reading moves to the next millisecond: still after every earlier one. */
const rollOver = (reading: Hlc): Hlc => (reading.counter > MAX_HLC_COUNTER ? { wallMs: reading.wallMs + 1, counter: 0 } : reading);

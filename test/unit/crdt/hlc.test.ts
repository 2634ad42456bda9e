import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareHlc, HybridClock, MAX_HLC_COUNTER, readingAfter } from '../../../crdt/index.js';

test('readings only move forward, even when the physical clock jumps back', () => {
  const clock = new HybridClock(60_000);
  const a = clock.now(10_000);
  const b = clock.now(5_000);
  const c = clock.now(5_000);
  assert.ok(compareHlc(b, a) > 0 && compareHlc(c, b) > 0);
  assert.is(b.wallMs, 10_000);
});

test('a jump forward of the physical clock is taken as it is', () => {
  const clock = new HybridClock(60_000);
  clock.now(1_000);
  assert.equal(clock.now(500_000), { wallMs: 500_000, counter: 0 });
});

test('a remote reading moves the clock past it', () => {
  const clock = new HybridClock(60_000);
  assert.ok(clock.observe({ wallMs: 30_000, counter: 4 }, 10_000).ok);
  assert.equal(clock.now(10_000), { wallMs: 30_000, counter: 6 });
});

test('a remote reading too far ahead is refused and leaves the clock alone', () => {
  const clock = new HybridClock(60_000);
  clock.now(1_000);
  const refused = clock.observe({ wallMs: 1_000 + 60_001, counter: 0 }, 1_000);
  assert.equal(refused, { ok: false, error: { code: 'clock-ahead', aheadMs: 60_001 } });
  assert.equal(clock.now(1_000), { wallMs: 1_000, counter: 1 });
});

test('a remote reading whose counter is past the bound is refused and leaves the clock alone', () => {
  const clock = new HybridClock(60_000);
  const poisoned = { wallMs: 1_000 + 59_000, counter: 0xffffffff };
  assert.equal(clock.observe(poisoned, 1_000), { ok: false, error: { code: 'clock-counter', counter: 0xffffffff } });
  assert.equal(clock.now(1_000), { wallMs: 1_000, counter: 0 });
});

test('a counter that reaches the bound rolls over to the next millisecond instead of overflowing', () => {
  const clock = new HybridClock(60_000);
  assert.ok(clock.observe({ wallMs: 5_000, counter: MAX_HLC_COUNTER }, 1_000).ok);
  const next = clock.now(1_000);
  assert.equal(next, { wallMs: 5_001, counter: 1 });
  assert.ok(compareHlc(next, { wallMs: 5_000, counter: MAX_HLC_COUNTER }) > 0);
});

test("a writer with no clock of its own orders after the node's reading, however far behind its own clock is", () => {
  assert.equal(readingAfter({ wallMs: 1_000, counter: 3 }, 2_000), { wallMs: 2_000, counter: 0 });
  assert.equal(readingAfter({ wallMs: 1_000, counter: 3 }, 500), { wallMs: 1_000, counter: 4 });
  assert.equal(readingAfter({ wallMs: 1_000, counter: MAX_HLC_COUNTER }, 500), { wallMs: 1_001, counter: 0 });
});

test.run();

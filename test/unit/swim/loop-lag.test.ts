import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventLoopLag, type Repeat } from '../../../node/swim/loop-lag.js';
import { lagNoiseMs, lagTickMs } from '../../../protocol/swim/index.js';

const LOOP_TICK_MS = 25;

/** A clock and a repeating timer the test moves by hand: each `tick(at)` runs the monitor's callback at time `at`. */
function handDriven(): { now: () => number; every: Repeat; tick: (atMs: number) => void; set: (atMs: number) => void; stopped: () => boolean } {
  let nowMs = 1_000;
  let callback: (() => void) | undefined;
  let stopped = false;
  return {
    now: () => nowMs,
    every: (tick) => {
      callback = tick;
      return () => {
        stopped = true;
      };
    },
    tick: (atMs) => {
      nowMs = atMs;
      callback?.();
    },
    set: (atMs) => {
      nowMs = atMs;
    },
    stopped: () => stopped,
  };
}

test('the event-loop monitor reads a tick that ran late as the loop stalled that long, once: the next reading starts over', () => {
  const loop = handDriven();
  const lag = eventLoopLag(LOOP_TICK_MS, loop.now, loop.every);
  assert.is(lag.takeWorstMs(), 0, 'not started: nothing read');
  lag.start();
  loop.tick(1_000 + LOOP_TICK_MS);
  loop.tick(1_000 + 2 * LOOP_TICK_MS + 1);
  // The loop ran nothing for 250 ms past the next tick.
  loop.tick(1_000 + 3 * LOOP_TICK_MS + 1 + 250);
  loop.tick(1_000 + 4 * LOOP_TICK_MS + 251);
  assert.is(lag.takeWorstMs(), 250);
  loop.tick(1_000 + 5 * LOOP_TICK_MS + 251);
  assert.is(lag.takeWorstMs(), 0, 'the stall is not read twice');
  lag.stop();
  assert.ok(loop.stopped());
});

test('a stall still under way when the monitor is read counts: the tick it holds up has not run yet', () => {
  const loop = handDriven();
  const lag = eventLoopLag(LOOP_TICK_MS, loop.now, loop.every);
  lag.start();
  loop.tick(1_000 + LOOP_TICK_MS);
  loop.set(1_000 + LOOP_TICK_MS + 400);
  assert.is(lag.takeWorstMs(), 400 - LOOP_TICK_MS);
});

test('on the real loop, a 250 ms stall is read as at least 200 ms', async () => {
  const lag = eventLoopLag(LOOP_TICK_MS);
  lag.start();
  try {
    await new Promise((resolve) => setTimeout(resolve, 60));
    lag.takeWorstMs();
    const until = performance.now() + 250;
    while (performance.now() < until);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const worst = lag.takeWorstMs();
    assert.ok(worst >= 200, `a 250 ms stall read as ${worst} ms`);
  } finally {
    lag.stop();
  }
});

test('at each preset, a stall of one and a half times the noise floor, begun just after a tick, is read above the floor', () => {
  for (const probeTimeoutMs of [200, 500, 1_200]) {
    const tickMs = lagTickMs(probeTimeoutMs);
    const loop = handDriven();
    const lag = eventLoopLag(tickMs, loop.now, loop.every);
    lag.start();
    loop.tick(1_000 + tickMs);
    // The loop stalls from 1 ms after that tick; the next one runs when it ends.
    const stallMs = 1.5 * lagNoiseMs(probeTimeoutMs) + 1;
    loop.tick(1_000 + tickMs + 1 + stallMs);
    const read = lag.takeWorstMs();
    assert.ok(read > lagNoiseMs(probeTimeoutMs), `probe timeout ${probeTimeoutMs} ms, tick ${tickMs} ms: a ${stallMs} ms stall read as ${read} ms`);
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultBackoff, restartDelayMs } from '../../../protocol/agent/backoff.js';

const config = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };

test('the wait starts at the initial delay and doubles with every restart', () => {
  const rows: [number, number][] = [
    [0, 1_000],
    [1, 2_000],
    [2, 4_000],
    [3, 8_000],
    [4, 16_000],
  ];
  for (const [restarts, want] of rows) assert.is(restartDelayMs(restarts, config), want, `restarts=${restarts}`);
});

test('the wait never passes the cap, however many restarts came before', () => {
  const rows: [number, number][] = [
    [5, 30_000],
    [6, 30_000],
    [100, 30_000],
    [5_000, 30_000],
  ];
  for (const [restarts, want] of rows) assert.is(restartDelayMs(restarts, config), want, `restarts=${restarts}`);
});

test('a zero initial wait stays zero instead of turning into NaN at huge counts', () => {
  assert.is(restartDelayMs(5_000, { ...config, initialMs: 0 }), 0);
});

test('a negative or fractional count is read as whole restarts from zero', () => {
  assert.is(restartDelayMs(-3, config), 1_000);
  assert.is(restartDelayMs(2.7, config), 4_000);
});

test('the default waits 1 s first, caps at 5 min and forgets after 10 min up', () => {
  assert.equal(
    [0, 1, 8, 9, 20].map((n) => restartDelayMs(n, defaultBackoff)),
    [1_000, 2_000, 256_000, 300_000, 300_000],
  );
  assert.is(defaultBackoff.resetAfterMs, 600_000);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectedConfirmations, pushPullIntervalMs, retransmitLimit, scaleByHealth, suspicionTimeoutMs } from '../../../protocol/swim/index.js';

const timing = { probeIntervalMs: 1000, alpha: 4, beta: 6, expected: 2 };

test('suspicion: alpha * log10(N) periods with every confirmation in, beta times that with none', () => {
  const rows: [number, number, number][] = [
    [1000, 2, 12_000],
    [1000, 0, 72_000],
    [10_000, 2, 16_000],
    [10_000, 5, 16_000],
  ];
  for (const [members, confirmations, want] of rows) {
    assert.is(suspicionTimeoutMs({ ...timing, members, confirmations }), want, `N=${members} c=${confirmations}`);
  }
  assert.is(suspicionTimeoutMs({ ...timing, expected: 0, members: 3, confirmations: 0 }), 1908, 'tiny clusters wait the minimum');
  const one = suspicionTimeoutMs({ ...timing, members: 1000, confirmations: 1 });
  assert.ok(one > 12_000 && one < 72_000);
});

test('expected confirmations: alpha - 2, none when too few members could confirm', () => {
  assert.is(expectedConfirmations(4, 100), 2);
  assert.is(expectedConfirmations(4, 3), 0);
});

test('retransmit limit grows with log10(N + 1)', () => {
  assert.equal(
    [1, 9, 10, 99, 1000, 10_000].map((n) => retransmitLimit(4, n)),
    [4, 4, 8, 8, 16, 20],
  );
});

test('push-pull interval is flat to 32 members, then one more interval per doubling', () => {
  assert.equal(
    [2, 32, 33, 64, 65, 10_000].map((n) => pushPullIntervalMs(30_000, n)),
    [30_000, 30_000, 60_000, 60_000, 90_000, 300_000],
  );
});

test('local health multiplies timeouts by score + 1', () => {
  assert.equal(
    [0, 1, 7].map((s) => scaleByHealth(500, s)),
    [500, 1000, 4000],
  );
});

test.run();

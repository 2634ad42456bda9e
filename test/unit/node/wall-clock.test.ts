import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Clock } from '../../../base/clock.js';
import { hostClock, WallClock } from '../../../node/wall-clock.js';

test("a wall clock reads its host's time plus its offset, and an offset replaces the one before", () => {
  let host = 1_700_000_000_000;
  const clock: WallClock = new WallClock(() => host);
  assert.is(clock.offsetMs, 0);
  assert.is(clock.nowMs(), host);
  clock.setOffset(60_000);
  assert.is(clock.offsetMs, 60_000);
  assert.is(clock.nowMs(), host + 60_000);
  host += 1_234;
  assert.is(clock.nowMs(), host + 60_000, 'an offset clock still advances with its host');
  clock.setOffset(-30_000);
  assert.is(clock.nowMs(), host - 30_000, 'not added to the earlier offset');
  clock.setOffset(0);
  assert.is(clock.nowMs(), host, 'zero restores the host clock');
  assert.throws(() => clock.setOffset(Number.NaN), /finite/);
  assert.throws(() => clock.setOffset(Number.POSITIVE_INFINITY), /finite/);
  assert.is(clock.offsetMs, 0, 'a refused offset leaves the clock as it was');
});

test('by default a wall clock is Date.now plus its offset, and skewing it leaves Date.now and other clocks alone', () => {
  const realNow = Date.now;
  const clock = new WallClock();
  const other = new WallClock();
  const before = Date.now();
  clock.setOffset(3_600_000);
  const skewed = clock.nowMs();
  const after = Date.now();
  assert.ok(skewed >= before + 3_600_000 && skewed <= after + 3_600_000, `${skewed} is an hour past ${before}..${after}`);
  assert.is(Date.now, realNow, 'Date.now is not replaced');
  assert.ok(Math.abs(Date.now() - before) < 60_000, 'Date.now still reads the real time');
  assert.ok(Math.abs(other.nowMs() - Date.now()) < 60_000, "another node's clock (in the same process) is not skewed");
  const host: Clock = hostClock;
  assert.ok(Math.abs(host.nowMs() - Date.now()) < 60_000, 'the host clock is never offset');
});

test.run();

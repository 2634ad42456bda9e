import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SlowReceivers, TransferPace } from '../../../protocol/images/transfer-pace.js';

const floor = { minBytesPerSecond: 1000, windowMs: 10_000 };

test('no verdict before a window of the receiver time has passed', () => {
  const pace = new TransferPace(floor, 0);
  assert.equal(pace.verdict(9_999), { ok: true });
});

test('a window averaging below the floor is too slow; at the floor, a new window begins', () => {
  const slow = new TransferPace(floor, 0);
  slow.sent(9_999);
  assert.equal(slow.verdict(10_000), { ok: false, bytesPerSecond: 999.9 });
  const enough = new TransferPace(floor, 0);
  enough.sent(10_000);
  assert.equal(enough.verdict(10_000), { ok: true });
  // The next window starts empty: what came in the first does not carry a later stall.
  assert.equal(enough.verdict(20_000), { ok: false, bytesPerSecond: 0 });
});

test("the sender's own waits (its cap, its spool) do not count against the receiver", () => {
  const pace = new TransferPace(floor, 0);
  pace.sent(5_000);
  pace.excuseFrom(1_000);
  pace.excuseUntil(16_000);
  // 20 s passed, 15 of them the sender's: 5 s of the receiver's, not yet a window.
  assert.equal(pace.verdict(20_000), { ok: true });
  pace.sent(5_000);
  assert.equal(pace.verdict(25_000), { ok: true });
});

test('a wait still under way counts as excused when judged', () => {
  const pace = new TransferPace(floor, 0);
  pace.excuseFrom(0);
  assert.equal(pace.verdict(60_000), { ok: true });
  pace.excuseUntil(61_000);
  assert.equal(pace.verdict(70_999), { ok: true });
  assert.equal(pace.verdict(71_000), { ok: false, bytesPerSecond: 0 });
});

test('an excuse begun twice counts from the first; ended twice, once', () => {
  const pace = new TransferPace(floor, 0);
  pace.excuseFrom(0);
  pace.excuseFrom(5_000);
  pace.excuseUntil(8_000);
  pace.excuseUntil(9_000);
  pace.sent(10_000);
  assert.equal(pace.verdict(17_999), { ok: true });
  assert.equal(pace.verdict(18_000), { ok: true });
});

test('a receiver ended for its pace is turned away until its penalty is over, then served', () => {
  const slow = new SlowReceivers(60_000);
  slow.ended('a', 1_000);
  assert.is(slow.turnedAwayUntil('a', 2_000), 61_000);
  assert.is(slow.turnedAwayUntil('b', 2_000), undefined);
  assert.is(slow.turnedAwayUntil('a', 61_000), undefined);
});

test('the receivers remembered are bounded: the oldest go first', () => {
  const slow = new SlowReceivers(60_000, 2);
  slow.ended('a', 0);
  slow.ended('b', 1);
  slow.ended('c', 2);
  assert.is(slow.turnedAwayUntil('a', 3), undefined);
  assert.is(slow.turnedAwayUntil('b', 3), 60_001);
  assert.is(slow.turnedAwayUntil('c', 3), 60_002);
});

test.run();

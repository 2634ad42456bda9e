import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ADMISSION_WAIT_MS, MAX_WAITING_RESERVATIONS, relayedConnectionAllowed, reservationVerdict } from '../../../protocol/relay/policy.js';

const admitted = { admitted: true, revoked: false };
const joiner = { admitted: false, revoked: false };
const removed = { admitted: false, revoked: true };

test('an admitted member gets a slot at once; a removed node never, however long it would wait', () => {
  assert.is(reservationVerdict(admitted, 0, 0), 'grant');
  assert.is(reservationVerdict(admitted, 0, MAX_WAITING_RESERVATIONS), 'grant', 'the waiting bound holds back only the unadmitted');
  assert.is(reservationVerdict(removed, 0, 0), 'refuse');
});

test("a joiner's request waits for its admission, up to a bound, then is refused", () => {
  assert.is(reservationVerdict(joiner, 0, 0), 'wait');
  assert.is(reservationVerdict(joiner, ADMISSION_WAIT_MS - 1, 1), 'wait');
  assert.is(reservationVerdict(joiner, ADMISSION_WAIT_MS, 1), 'refuse');
  assert.is(reservationVerdict({ admitted: true, revoked: false }, ADMISSION_WAIT_MS - 1, 1), 'grant', 'admitted while it waited');
});

test('a flood of unadmitted requests is refused past the waiting bound, and those already waiting keep waiting', () => {
  assert.is(reservationVerdict(joiner, 0, MAX_WAITING_RESERVATIONS - 1), 'wait');
  assert.is(reservationVerdict(joiner, 0, MAX_WAITING_RESERVATIONS), 'refuse');
  assert.is(reservationVerdict(joiner, 500, MAX_WAITING_RESERVATIONS), 'wait');
});

test('a relayed connection passes only when every party is admitted', () => {
  assert.ok(relayedConnectionAllowed(admitted, admitted));
  assert.not.ok(relayedConnectionAllowed(admitted, joiner));
  assert.not.ok(relayedConnectionAllowed(removed, admitted));
});

test.run();

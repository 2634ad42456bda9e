import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keeperStep, type MajorityLease } from '../../../protocol/agent/majority-fence.js';

const lease: MajorityLease = { seenMajorityAtMs: 10_000, fenceMs: 3_000, replicas: ['r1', 'r2'] };
const none = new Set<string>();

test('within the fence the keeper only watches', () => {
  assert.equal(keeperStep(lease, 12_999, none), { remove: [], exit: false });
});

test('once the fence has run out the keeper removes every majority replica it has not removed yet', () => {
  assert.equal(keeperStep(lease, 13_000, none), { remove: ['r1', 'r2'], exit: false });
  assert.equal(keeperStep(lease, 13_250, new Set(['r1'])), { remove: ['r2'], exit: false }, 'a failed removal is tried again');
});

test('a lease renewed by the node (it saw a majority again) stops the removals', () => {
  assert.equal(keeperStep({ ...lease, seenMajorityAtMs: 12_000 }, 13_000, none), { remove: [], exit: false });
});

test('the keeper exits once nothing is left to guard, or when there is no lease', () => {
  assert.equal(keeperStep(lease, 13_500, new Set(['r1', 'r2'])), { remove: [], exit: true });
  assert.equal(keeperStep({ ...lease, replicas: [] }, 11_000, none), { remove: [], exit: true });
  assert.equal(keeperStep(undefined, 11_000, none), { remove: [], exit: true });
});

test.run();

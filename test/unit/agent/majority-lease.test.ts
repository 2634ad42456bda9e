import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keeperStep } from '../../../protocol/agent/majority-fence.js';
import { MajorityLeaseHolder } from '../../../protocol/agent/majority-lease.js';

const FENCE = 4_000;

test('the first record is written when the node guards a replica, and names its sighting', () => {
  const lease = new MajorityLeaseHolder(FENCE, 1_000);
  assert.is(lease.sawMajority(1_500), undefined, 'nothing to guard, nothing written');
  assert.equal(lease.guard(['r1']), { seenMajorityAtMs: 1_500, fenceMs: FENCE, replicas: ['r1'] });
});

test('sightings are written every quarter fence while the node guards replicas, and at once when the replicas change', () => {
  const lease = new MajorityLeaseHolder(FENCE, 0);
  lease.guard(['r1']);
  assert.is(lease.sawMajority(999), undefined);
  assert.equal(lease.sawMajority(1_000)?.seenMajorityAtMs, 1_000);
  assert.equal(lease.guard(['r2', 'r1']), { seenMajorityAtMs: 1_000, fenceMs: FENCE, replicas: ['r1', 'r2'] });
  assert.is(lease.guard(['r1', 'r2']), undefined, 'the same replicas in another order');
});

test('the node is fenced by the record its keeper reads, not by a sighting newer than that record', () => {
  const lease = new MajorityLeaseHolder(FENCE, 0);
  const record = lease.guard(['r1']);
  lease.sawMajority(900); // within a quarter fence: not written
  const removedAt = 4_000;
  assert.equal(keeperStep(record, removedAt, new Set()).remove, ['r1'], 'the keeper removes the replica at the fence of the record');
  assert.ok(lease.runOut(removedAt), 'and the node may not start it again then');
  assert.not.ok(lease.runOut(removedAt - 1));
});

test('a fenced node may run majority replicas again once it sees a majority, and its keeper sees the same', () => {
  const lease = new MajorityLeaseHolder(FENCE, 0);
  lease.guard(['r1']);
  assert.ok(lease.runOut(10_000));
  const record = lease.sawMajority(10_000);
  assert.equal(record?.seenMajorityAtMs, 10_000, 'a sighting after a run-out lease is written at once');
  assert.not.ok(lease.runOut(10_001));
  assert.equal(keeperStep(record, 10_001, new Set()).remove, []);
});

test('while it guards nothing, the node is judged by its latest sighting, which the next record will carry', () => {
  const lease = new MajorityLeaseHolder(FENCE, 0);
  lease.guard(['r1']);
  lease.guard([]);
  lease.sawMajority(3_000); // not written: nothing is guarded
  assert.not.ok(lease.runOut(5_000));
  assert.equal(lease.guard(['r2'])?.seenMajorityAtMs, 3_000);
  assert.ok(lease.runOut(7_000));
});

test('a node that starts from an old record stays fenced until it sees a majority', () => {
  const lease = new MajorityLeaseHolder(FENCE, -FENCE);
  assert.ok(lease.runOut(0));
  lease.sawMajority(100);
  assert.not.ok(lease.runOut(100));
});

test.run();

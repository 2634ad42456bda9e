import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keeperStep } from '../../../protocol/agent/majority-fence.js';
import { MajorityLeaseHolder } from '../../../protocol/agent/majority-lease.js';

const FENCE = 4_000;

test('the first record is written when the node guards a replica, and names its sighting', () => {
  const lease = new MajorityLeaseHolder(FENCE, 1_000);
  assert.is(lease.sawMajority(1_500), undefined, 'nothing to guard, nothing written');
  assert.equal(lease.guard(['r1'], 1_500), { seenMajorityAtMs: 1_500, fenceMs: FENCE, replicas: ['r1'] });
});

test('sightings are written every quarter fence while the node guards replicas, and at once when the replicas change', () => {
  const lease = new MajorityLeaseHolder(FENCE, 0);
  lease.guard(['r1'], 0);
  assert.is(lease.sawMajority(999), undefined);
  assert.equal(lease.sawMajority(1_000)?.seenMajorityAtMs, 1_000);
  assert.equal(lease.guard(['r2', 'r1'], 1_000), { seenMajorityAtMs: 1_000, fenceMs: FENCE, replicas: ['r1', 'r2'] });
  assert.is(lease.guard(['r1', 'r2'], 1_000), undefined, 'the same replicas in another order');
});

test('the node is fenced by the record its keeper reads, not by a sighting newer than that record', () => {
  const lease = new MajorityLeaseHolder(FENCE, 0);
  const record = lease.guard(['r1'], 0);
  lease.sawMajority(900); // within a quarter fence: not written
  const removedAt = 4_000;
  assert.equal(keeperStep(record, removedAt, new Set()).remove, ['r1'], 'the keeper removes the replica at the fence of the record');
  assert.not.ok(lease.runOut(removedAt - 1));
  assert.ok(lease.runOut(removedAt), 'and the node may not start it again then');
});

test('once the keeper has removed the replica, the record that lists none does not unfence the node (the cut test, issue 20 item 1)', () => {
  const lease = new MajorityLeaseHolder(FENCE, 0);
  const record = lease.guard(['r1'], 0);
  lease.sawMajority(900); // the node's last sighting before the cut, not yet written
  assert.equal(keeperStep(record, 4_000, new Set()).remove, ['r1']);
  assert.ok(lease.runOut(4_000));
  // The agent's next pass lists no replica: the record is rewritten, with the sighting at 900.
  assert.equal(lease.guard([], 4_008)?.replicas, []);
  assert.ok(lease.runOut(4_008), 'still fenced, though 900 + the fence lies ahead');
  assert.ok(lease.runOut(4_500));
});

test('the keeper may remove the replica before the node asks: the next list of replicas finds the lease run out', () => {
  const lease = new MajorityLeaseHolder(FENCE, 0);
  lease.guard(['r1'], 0);
  lease.sawMajority(900);
  lease.guard([], 4_000);
  assert.ok(lease.runOut(4_001));
});

test('a fenced node may run majority replicas again once it sees a majority, and its keeper sees the same', () => {
  const lease = new MajorityLeaseHolder(FENCE, 0);
  lease.guard(['r1'], 0);
  assert.ok(lease.runOut(10_000));
  const record = lease.sawMajority(10_000);
  assert.equal(record?.seenMajorityAtMs, 10_000, 'a sighting after a run-out lease is written at once');
  assert.not.ok(lease.runOut(10_001));
  assert.equal(keeperStep(record, 10_001, new Set()).remove, []);
});

test('a sighting from before the lease ran out does not unfence the node', () => {
  const lease = new MajorityLeaseHolder(FENCE, 0);
  lease.guard(['r1'], 0);
  assert.ok(lease.runOut(4_000));
  lease.sawMajority(3_999);
  assert.ok(lease.runOut(4_001));
});

test('while it guards nothing, the node is judged by its latest sighting, which the next record will carry', () => {
  const lease = new MajorityLeaseHolder(FENCE, 0);
  lease.guard(['r1'], 0);
  lease.guard([], 1_000);
  lease.sawMajority(3_000); // not written: nothing is guarded
  assert.not.ok(lease.runOut(5_000));
  assert.equal(lease.guard(['r2'], 5_000)?.seenMajorityAtMs, 3_000);
  assert.ok(lease.runOut(7_000));
});

test('a node that starts from an old record stays fenced until it sees a majority', () => {
  const lease = new MajorityLeaseHolder(FENCE, -FENCE);
  assert.ok(lease.runOut(0));
  lease.sawMajority(100);
  assert.not.ok(lease.runOut(100));
});

test.run();

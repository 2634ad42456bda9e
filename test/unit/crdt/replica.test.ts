import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deltaId, operatorKey, Replica, signDelta, type Delta } from '../../../crdt/index.js';
import { author, CLUSTER, write } from './fixtures.js';

const NOW = 1_800_000_000_000;
const key = 'Workload/default/web';
const genesisOf = (...publicKeys: string[]) => ({ cluster: CLUSTER, operators: publicKeys });

const rejected = (replica: Replica, delta: Delta, code: string): void => {
  const result = replica.receive(delta, NOW);
  assert.is(result.ok, false, `expected ${code}`);
  if (!result.ok) assert.is(result.error.code, code);
};

test('a delta signed by a genesis operator is merged', () => {
  const a = author(1);
  const replica = new Replica(genesisOf(a.publicKey));
  const result = replica.receive(write(a, NOW, [{ key, set: { 'spec.replicas': 3 } }]), NOW);
  assert.equal(result, { ok: true, value: { changed: [key], equivocation: undefined } });
  assert.equal(replica.document.get(key), { 'spec.replicas': 3 });
});

test('a forged signature, a body changed after signing, and an unknown key are refused, and change nothing', () => {
  const [a, stranger] = [author(1), author(9)];
  const replica = new Replica(genesisOf(a.publicKey));
  const good = write(a, NOW, [{ key, set: { x: 1 } }]);
  const forged: Delta = { ...good, sig: good.sig.replace(/^../, good.sig.startsWith('00') ? '11' : '00') };
  rejected(replica, forged, 'bad-signature');
  const changedBody = { ...good.body, ops: [{ key, set: { x: 2 } }] };
  rejected(replica, { ...good, body: changedBody }, 'bad-id');
  rejected(replica, { ...good, id: deltaId(changedBody), body: changedBody }, 'bad-signature');
  rejected(replica, write(stranger, NOW, [{ key, set: { x: 3 } }]), 'unknown-author');
  rejected(replica, signDelta({ ...good.body, cluster: 'another' }, a.secret), 'wrong-cluster');
  assert.is(replica.size, 0);
  assert.is(replica.document.get(key), undefined);
});

test('a replay of an accepted delta is a no-op', () => {
  const a = author(1);
  const replica = new Replica(genesisOf(a.publicKey));
  const delta = write(a, NOW, [{ key, set: { x: 1 } }]);
  assert.ok(replica.receive(delta, NOW).ok);
  rejected(replica, delta, 'duplicate');
  assert.is(replica.size, 1);
});

test('a delta stamped too far ahead of our clock waits; one older than the horizon is refused', () => {
  const a = author(1);
  const replica = new Replica(genesisOf(a.publicKey), { maxClockAheadMs: 60_000, horizonMs: 3600_000 });
  rejected(replica, write(a, NOW + 61_000, [{ key, set: { x: 1 } }]), 'clock-ahead');
  rejected(replica, write(a, NOW - 3600_001, [{ key, set: { x: 1 } }]), 'too-old');
});

test('two different deltas under one sequence number are reported as an equivocation, and both merge', () => {
  const a = author(1);
  const replica = new Replica(genesisOf(a.publicKey));
  const first = write(a, NOW, [{ key, set: { x: 1 } }]);
  a.seq -= 1;
  const second = write(a, NOW, [{ key: 'Workload/default/other', set: { x: 2 } }]);
  assert.ok(replica.receive(first, NOW).ok);
  const result = replica.receive(second, NOW);
  assert.ok(result.ok && result.value.equivocation !== undefined);
  assert.equal(replica.equivocations, [{ author: a.publicKey, writer: undefined, seq: 1, ids: [first.id, second.id] }]);
  assert.equal(replica.document.keys(), ['Workload/default/other', key]);
});

test('one key writing from two writers at once under the same number is no equivocation; one writer doing so is', () => {
  const a = author(1);
  const replica = new Replica(genesisOf(a.publicKey));
  const as = (writer: string, name: string) =>
    signDelta(
      { v: 1, cluster: CLUSTER, author: a.publicKey, writer, seq: 1, hlc: { wallMs: NOW, counter: 0 }, ops: [{ key: `Workload/default/${name}`, set: { x: 1 } }] },
      a.secret,
    );
  assert.ok(replica.receive(as('0000000000000001', 'left'), NOW).ok);
  const concurrent = replica.receive(as('0000000000000002', 'right'), NOW);
  assert.ok(concurrent.ok && concurrent.value.equivocation === undefined, 'two terminals, or two sides of a partition');
  const crafted = replica.receive(as('0000000000000001', 'crafted'), NOW);
  assert.ok(crafted.ok && crafted.value.equivocation?.writer === '0000000000000001');
});

test('an operator added through the document may write after its addition, and not after its removal', () => {
  const [root, added] = [author(1), author(2)];
  const replica = new Replica(genesisOf(root.publicKey));
  rejected(replica, write(added, NOW, [{ key, set: { x: 0 } }]), 'unknown-author');
  added.seq = 0;
  assert.ok(replica.receive(write(root, NOW + 10, [{ key: operatorKey(added.publicKey), set: { publicKey: added.publicKey } }]), NOW + 10).ok);
  assert.ok(replica.receive(write(added, NOW + 20, [{ key, set: { x: 1 } }]), NOW + 20).ok);
  assert.equal(replica.document.get(key), { x: 1 });
  assert.equal(replica.activeOperators(NOW + 30), [root.publicKey, added.publicKey].sort());
  assert.ok(replica.receive(write(root, NOW + 30, [{ key: operatorKey(added.publicKey), delete: true }]), NOW + 30).ok);
  assert.ok(replica.receive(write(added, NOW + 40, [{ key, set: { x: 2 } }]), NOW + 40).ok, 'kept in the log');
  assert.equal(replica.document.get(key), { x: 1 }, 'but it does not count');
  assert.equal(replica.activeOperators(NOW + 50), [root.publicKey]);
});

test("a removal that arrives after the removed operator's later write voids that write, as if it had come in order", () => {
  const [root, added] = [author(1), author(2)];
  const grant = write(root, NOW + 10, [{ key: operatorKey(added.publicKey), set: { publicKey: added.publicKey } }]);
  const early = write(added, NOW + 20, [{ key, set: { x: 1 } }]);
  const removal = write(root, NOW + 30, [{ key: operatorKey(added.publicKey), delete: true }]);
  const late = write(added, NOW + 40, [{ key, set: { x: 2 } }]);
  const inOrder = new Replica(genesisOf(root.publicKey));
  const reordered = new Replica(genesisOf(root.publicKey));
  for (const d of [grant, early, removal, late]) inOrder.receive(d, NOW + 50);
  for (const d of [grant, early, late, removal]) reordered.receive(d, NOW + 50);
  assert.equal(reordered.document.get(key), { x: 1 });
  assert.equal(reordered.document.get(key), inOrder.document.get(key));
});

test('collection drops deltas older than the horizon that touch only collected objects', () => {
  const a = author(1);
  const replica = new Replica(genesisOf(a.publicKey), { maxClockAheadMs: 60_000, horizonMs: 1000 });
  const unchained = (wallMs: number, ops: Parameters<typeof write>[2]) => {
    a.last = undefined;
    return write(a, wallMs, ops);
  };
  replica.receive(unchained(NOW, [{ key, set: { x: 1 } }]), NOW);
  replica.receive(unchained(NOW + 10, [{ key, delete: true }]), NOW + 10);
  replica.receive(unchained(NOW + 20, [{ key: 'Workload/default/kept', set: { x: 1 } }]), NOW + 20);
  assert.is(replica.collect(NOW + 5000), 1);
  assert.is(replica.size, 1);
  assert.is(replica.digest.summary('').count, 1);
});

test('collection keeps a delta a later delta of its author names, so a revocation can still walk the chain', () => {
  const a = author(1);
  const replica = new Replica(genesisOf(a.publicKey), { maxClockAheadMs: 60_000, horizonMs: 1000 });
  const created = write(a, NOW, [{ key, set: { x: 1 } }]);
  const deleted = write(a, NOW + 10, [{ key, delete: true }]);
  const kept = write(a, NOW + 20, [{ key: 'Workload/default/kept', set: { x: 1 } }]);
  for (const d of [created, deleted, kept]) replica.receive(d, NOW + 20);
  assert.is(replica.collect(NOW + 5000), 1);
  assert.is(replica.size, 3);
});

test('a delta older than the horizon is refused as a new write, and taken when a peer still holds it', () => {
  const a = author(1);
  const replica = new Replica(genesisOf(a.publicKey), { maxClockAheadMs: 60_000, horizonMs: 1000 });
  const old = write(a, NOW - 5000, [{ key: 'Workload/default/old', set: { x: 1 } }]);
  assert.equal(replica.check(old, NOW), { ok: false, error: { code: 'too-old', detail: `stamped ${new Date(NOW - 5000).toISOString()}` } });
  assert.ok(replica.check(old, NOW, 'held').ok, 'a node joining a cluster older than the horizon still gets its old workloads');
});

test.run();

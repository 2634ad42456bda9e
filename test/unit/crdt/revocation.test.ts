import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeKey, operatorKey, Replica, revocationKey, type Delta } from '../../../crdt/index.js';
import { placementField } from '../../../protocol/node-writes.js';
import { peerIdOfPublicKey } from '../../../base/peer-id.js';
import { author, CLUSTER, write, type Author, withNodeWrites } from './fixtures.js';

const NOW = 1_800_000_000_000;
const genesis = (root: Author, nodes: Author[] = []) => ({ cluster: CLUSTER, operators: [root.publicKey], nodes: nodes.map((n) => n.publicKey) });
const grant = (by: Author, who: Author, at: number) => write(by, at, [{ key: operatorKey(who.publicKey), set: { publicKey: who.publicKey } }]);
const revoke = (by: Author, who: Author, heads: string[], at: number) =>
  write(by, at, [
    { key: operatorKey(who.publicKey), delete: true },
    { key: revocationKey(who.publicKey), set: { publicKey: who.publicKey, heads } },
  ]);
const workload = (by: Author, name: string, at: number) => write(by, at, [{ key: `Workload/default/${name}`, set: { 'spec.image': 'busybox' } }]);

/** Every order of `deltas` a few ways: forward, backward, and interleaved. */
const orders = (deltas: Delta[]): Delta[][] => [deltas, [...deltas].reverse(), [...deltas.filter((_, i) => i % 2 === 1), ...deltas.filter((_, i) => i % 2 === 0)]];

function replay(deltas: Delta[], root: Author, nodes: Author[] = []): Replica {
  const replica = new Replica(genesis(root, nodes), withNodeWrites);
  // Out-of-order arrivals are refused at first and offered again by anti-entropy: keep offering until nothing more lands.
  for (let pass = 0; pass < deltas.length; pass++) for (const d of deltas) replica.receive(d, NOW + 1_000);
  return replica;
}

test("a revoked operator's backdated write is refused everywhere, and so is the operator it would add", () => {
  const [root, mallory, sybil] = [author(1), author(2), author(3)];
  const added = grant(root, mallory, NOW + 10);
  const honest = workload(mallory, 'honest', NOW + 20);
  const removal = revoke(root, mallory, [honest.id], NOW + 30);
  // Mallory signs after the removal, stamped inside her old window.
  const backdated = workload(mallory, 'backdoor', NOW + 25);
  const newKey = grant(mallory, sybil, NOW + 26);
  const sybilWrite = workload(sybil, 'sybil', NOW + 27);
  for (const order of orders([added, honest, removal, backdated, newKey, sybilWrite])) {
    const replica = replay(order, root);
    assert.equal(replica.document.keys('Workload'), ['Workload/default/honest'], 'what the removal counted stays; nothing else');
    assert.equal(replica.activeOperators(NOW + 100), [root.publicKey]);
  }
  const live = replay([added, honest, removal], root);
  const refused = live.receive(backdated, NOW + 1_000);
  assert.ok(!refused.ok && refused.error.code === 'revoked');
});

test('what a revocation counted still lands when it arrives after the revocation', () => {
  const [root, bob] = [author(1), author(2)];
  const added = grant(root, bob, NOW + 10);
  const first = workload(bob, 'first', NOW + 20);
  const second = workload(bob, 'second', NOW + 21);
  const removal = revoke(root, bob, [second.id], NOW + 30);
  const replica = new Replica(genesis(root), withNodeWrites);
  for (const d of [added, removal, second, first]) assert.ok(replica.receive(d, NOW + 1_000).ok);
  assert.equal(replica.document.keys('Workload'), ['Workload/default/first', 'Workload/default/second']);
});

test('one key writing from two places at once forms two heads, and a revocation that pins both counts both', () => {
  const [root, bob] = [author(1), author(2)];
  const added = grant(root, bob, NOW + 10);
  const base = workload(bob, 'base', NOW + 20);
  const left = workload(bob, 'left', NOW + 21);
  bob.last = base.id;
  bob.seq -= 1;
  const right = workload(bob, 'right', NOW + 21);
  const replica = new Replica(genesis(root), withNodeWrites);
  for (const d of [added, base, left, right]) replica.receive(d, NOW + 1_000);
  assert.equal(replica.heads(bob.publicKey), [left.id, right.id].sort());
  replica.receive(revoke(root, bob, replica.heads(bob.publicKey), NOW + 30), NOW + 1_000);
  assert.equal(replica.document.keys('Workload'), ['Workload/default/base', 'Workload/default/left', 'Workload/default/right']);
});

test('two admins revoking each other reach one verdict in every order', () => {
  const [root, alice, bob] = [author(1), author(2), author(3)];
  const grants = [grant(root, alice, NOW + 10), grant(root, bob, NOW + 11)];
  const byAlice = revoke(alice, bob, [], NOW + 20);
  const byBob = revoke(bob, alice, [], NOW + 21);
  const verdicts = orders([...grants, byAlice, byBob]).map((order) => replay(order, root).activeOperators(NOW + 100));
  for (const verdict of verdicts) assert.equal(verdict, verdicts[0]);
  assert.equal(verdicts[0], [root.publicKey, alice.publicKey].sort(), 'the earlier revocation stands; the one it cut off does not count');
});

test('a removed node keeps what it wrote before, and writes nothing after', () => {
  const [root, founder] = [author(1), author(5)];
  const id = peerIdOfPublicKey(founder.publicKey);
  const web = write(root, NOW + 1, [{ key: 'Workload/default/web', set: { 'spec.image': 'busybox' } }]);
  const decided = write(founder, NOW + 2, [{ key: 'Placement/default/web.0', set: { [placementField(1, id)]: { winner: id } } }]);
  const removal = write(root, NOW + 10, [
    { key: nodeKey(founder.publicKey), delete: true },
    { key: revocationKey(founder.publicKey), set: { publicKey: founder.publicKey, heads: [decided.id] } },
  ]);
  const later = write(founder, NOW + 5, [{ key: 'Placement/default/web.0', set: { [placementField(2, id)]: { winner: id } } }]);
  for (const order of orders([web, decided, removal, later])) {
    const replica = replay(order, root, [founder]);
    assert.equal(Object.keys(replica.document.get('Placement/default/web.0') ?? {}), [placementField(1, id)]);
    assert.ok(!replica.isAdmittedNode(founder.publicKey));
  }
});

test.run();

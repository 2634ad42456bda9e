import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { operatorKey, Replica, type Delta, type Json } from '../../../crdt/index.js';
import { author, CLUSTER, write, type Author, withNodeWrites } from './fixtures.js';

// A grant written with the key's heads (what `shoal operator add` writes) judges what the
// key signs outside them, stamped before it, by itself: a demoted admin used to go on
// writing as an admin by stamping its writes before its demotion (for as long as the
// horizon lets a write be backdated: 7 days).

const NOW = 1_800_000_000_000;
const genesis = (root: Author) => ({ cluster: CLUSTER, operators: [root.publicKey] });
const grant = (by: Author, who: Author, at: number, role: Record<string, Json>, heads?: string[]) =>
  write(by, at, [{ key: operatorKey(who.publicKey), set: { publicKey: who.publicKey, ...role, ...(heads === undefined ? {} : { heads }) } }]);
const object = (by: Author, key: string, at: number) => write(by, at, [{ key, set: { 'spec.image': 'busybox' } }]);

/** Every order a few ways, each offered again until nothing more lands, as anti-entropy would. */
const orders = (deltas: Delta[]): Delta[][] => [deltas, [...deltas].reverse(), [...deltas.filter((_, i) => i % 2 === 1), ...deltas.filter((_, i) => i % 2 === 0)]];

function replay(deltas: Delta[], root: Author): Replica {
  const replica = new Replica(genesis(root), withNodeWrites);
  for (let pass = 0; pass <= deltas.length; pass++) for (const d of deltas) replica.receive(d, NOW + 5_000);
  return replica;
}

test("a demoted admin's writes backdated to before its demotion count nowhere: not a grant, not an object, in any order", () => {
  const [root, dev, sybil] = [author(1), author(2), author(3)];
  const promote = grant(root, dev, NOW + 10, { role: 'admin' });
  const before = object(dev, 'Workload/default/before', NOW + 20);
  const demote = grant(root, dev, NOW + 1000, { role: 'viewer' }, [before.id]);
  const backdatedGrant = grant(dev, sybil, NOW + 999, { role: 'admin' });
  const backdatedObject = object(dev, 'Workload/default/evil', NOW + 998);
  const sybilObject = object(sybil, 'Workload/default/sybil', NOW + 2000);
  for (const order of orders([promote, before, demote, backdatedGrant, backdatedObject, sybilObject])) {
    const replica = replay(order, root);
    assert.equal(replica.document.keys('Workload'), ['Workload/default/before'], 'what the demotion counted stands');
    assert.equal(replica.activeOperators(NOW + 3000), [root.publicKey, dev.publicKey].sort());
    assert.equal(replica.operatorGrant(dev.publicKey), { role: 'viewer', exec: false });
  }
  const replica = replay([promote, before, demote], root);
  const refused = replica.receive(backdatedObject, NOW + 5_000);
  assert.is(refused.ok ? 'ok' : refused.error.code, 'demoted');
  assert.not.ok(replica.authorizes(backdatedGrant), 'and the API refuses it to its client');
});

test('what the demoting admin saw counts by its stamps, whatever order the chain arrives in; what it did not see, by the new role', () => {
  const [root, dev] = [author(4), author(5)];
  const promote = grant(root, dev, NOW + 10, { role: 'admin' });
  const [f, g, h] = [object(dev, 'Workload/default/f', NOW + 20), object(dev, 'Workload/default/g', NOW + 21), object(dev, 'Workload/default/h', NOW + 22)];
  const demote = grant(root, dev, NOW + 1000, { role: 'deployer', namespaces: ['shop'] }, [h.id]);
  // Written before the demotion, after what the demoting admin saw: judged as a deployer of shop.
  const [unseenDefault, unseenShop] = [object(dev, 'Workload/default/unseen', NOW + 500), object(dev, 'Workload/shop/unseen', NOW + 501)];
  const after = object(dev, 'Workload/shop/after', NOW + 2000);
  for (const order of orders([promote, f, g, h, demote, unseenDefault, unseenShop, after])) {
    const replica = replay(order, root);
    assert.equal(replica.document.keys('Workload'), ['Workload/default/f', 'Workload/default/g', 'Workload/default/h', 'Workload/shop/after', 'Workload/shop/unseen']);
  }
  // f arrives before g, which links it to the heads: refused until then, then counted.
  const replica = new Replica(genesis(root), withNodeWrites);
  for (const d of [promote, demote, h]) assert.ok(replica.receive(d, NOW + 5_000).ok);
  const early = replica.receive(f, NOW + 5_000);
  assert.is(early.ok ? 'ok' : early.error.code, 'demoted');
  assert.ok(replica.receive(g, NOW + 5_000).ok);
  assert.ok(replica.receive(f, NOW + 5_000).ok);
  assert.ok(replica.document.get('Workload/default/f') !== undefined);
});

test('a grant without heads, as before, is judged by stamps alone; a promotion after a demotion counts from its stamp', () => {
  const [root, dev] = [author(6), author(7)];
  const promote = grant(root, dev, NOW + 10, { role: 'admin' });
  const demote = grant(root, dev, NOW + 1000, { role: 'viewer' });
  const backdated = object(dev, 'Workload/default/backdated', NOW + 999);
  assert.equal(replay([promote, demote, backdated], root).document.keys('Workload'), ['Workload/default/backdated']);

  const [root2, dev2] = [author(8), author(9)];
  const promote2 = grant(root2, dev2, NOW + 10, { role: 'admin' });
  const demote2 = grant(root2, dev2, NOW + 1000, { role: 'viewer' }, []);
  const asViewer = object(dev2, 'Workload/default/viewer', NOW + 1500);
  const again = grant(root2, dev2, NOW + 3000, { role: 'admin' }, [asViewer.id]);
  const asAdmin = object(dev2, 'Workload/default/admin', NOW + 3001);
  for (const order of orders([promote2, demote2, asViewer, again, asAdmin])) assert.equal(replay(order, root2).document.keys('Workload'), ['Workload/default/admin']);
});

test.run();

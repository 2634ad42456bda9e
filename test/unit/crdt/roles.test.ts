import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grantFields, grantOf, nodeKey, operatorKey, Replica, type Delta, type Json, type OperatorGrant } from '../../../crdt/index.js';
import { author, CLUSTER, write, type Author, withNodeWrites } from './fixtures.js';

const NOW = 1_800_000_000_000;
const genesis = (root: Author) => ({ cluster: CLUSTER, operators: [root.publicKey] });
const grant = (by: Author, who: Author, at: number, role: Record<string, Json>) => write(by, at, [{ key: operatorKey(who.publicKey), set: { publicKey: who.publicKey, ...role } }]);
const object = (by: Author, key: string, at: number) => write(by, at, [{ key, set: { 'spec.image': 'busybox' } }]);

/** Every order a few ways: a verdict must not depend on arrival order. */
const orders = (deltas: Delta[]): Delta[][] => [deltas, [...deltas].reverse(), [...deltas.filter((_, i) => i % 2 === 1), ...deltas.filter((_, i) => i % 2 === 0)]];

function replay(deltas: Delta[], root: Author): Replica {
  const replica = new Replica(genesis(root), withNodeWrites);
  for (let pass = 0; pass < deltas.length; pass++) for (const d of deltas) replica.receive(d, NOW + 1_000);
  return replica;
}

test('a deployer of namespace shop changes shop, and its writes to default, to operators or to nodes count nowhere, in any order', () => {
  const [root, dev, sybil] = [author(1), author(2), author(3)];
  const deltas = [
    grant(root, dev, NOW + 10, { role: 'deployer', namespaces: ['shop'] }),
    object(dev, 'Workload/shop/cart', NOW + 20),
    object(dev, 'Workload/default/web', NOW + 21),
    grant(dev, sybil, NOW + 22, { role: 'admin' }),
    write(dev, NOW + 23, [{ key: nodeKey(sybil.publicKey), set: { publicKey: sybil.publicKey } }]),
    object(sybil, 'Workload/shop/sybil', NOW + 24),
  ];
  for (const order of orders(deltas)) {
    const replica = replay(order, root);
    assert.equal(replica.document.keys('Workload'), ['Workload/shop/cart']);
    assert.equal(replica.activeOperators(NOW + 100), [root.publicKey, dev.publicKey].sort());
    assert.equal(replica.admittedNodes(), []);
    assert.equal(replica.operatorGrant(dev.publicKey), { role: 'deployer', exec: false, namespaces: ['shop'] });
  }
});

test('a viewer writes nothing; an admin it is made later writes from then on, not before', () => {
  const [root, ops] = [author(1), author(2)];
  const deltas = [
    grant(root, ops, NOW + 10, { role: 'viewer' }),
    object(ops, 'Workload/default/early', NOW + 20),
    grant(root, ops, NOW + 30, { role: 'admin' }),
    object(ops, 'Workload/default/late', NOW + 40),
  ];
  for (const order of orders(deltas)) {
    const replica = replay(order, root);
    assert.equal(replica.document.keys('Workload'), ['Workload/default/late']);
    assert.is(replica.operatorGrant(ops.publicKey)?.role, 'admin');
  }
});

test('an operator added before roles existed (publicKey only) is an admin; a malformed role grants nothing', () => {
  const [root, old, odd] = [author(1), author(2), author(3)];
  const replica = replay(
    [
      write(root, NOW + 10, [{ key: operatorKey(old.publicKey), set: { publicKey: old.publicKey } }]),
      grant(root, odd, NOW + 11, { role: 'superuser' }),
      object(old, 'Workload/default/old', NOW + 20),
      object(odd, 'Workload/default/odd', NOW + 21),
    ],
    root,
  );
  assert.equal(replica.document.keys('Workload'), ['Workload/default/old']);
  assert.is(replica.operatorGrant(old.publicKey)?.role, 'admin');
  assert.is(replica.operatorGrant(odd.publicKey), undefined);
});

test('grantOf refuses any field it does not understand, and reads back what grantFields writes', () => {
  const cases: [Record<string, Json>, OperatorGrant | undefined][] = [
    [{}, { role: 'admin', exec: true }],
    [{ role: 'viewer' }, { role: 'viewer', exec: false }],
    [
      { role: 'viewer', exec: true },
      { role: 'viewer', exec: true },
    ],
    [
      { role: 'deployer', namespaces: ['b', 'a', 'a'] },
      { role: 'deployer', exec: false, namespaces: ['a', 'b'] },
    ],
    [{ role: 'viewer', namespaces: ['a'] }, undefined],
    [{ role: 'deployer', namespaces: [] }, undefined],
    [{ role: 'deployer', namespaces: ['Not_A_Namespace'] }, undefined],
    [{ role: 'deployer', namespaces: 'shop' }, undefined],
    [{ role: 'deployer', exec: 'yes' }, undefined],
    [{ namespaces: ['a'] }, undefined],
    [{ role: 7 }, undefined],
  ];
  for (const [fields, expected] of cases) assert.equal(grantOf(fields), expected, JSON.stringify(fields));
  fc.assert(
    fc.property(
      fc.record({
        role: fc.constantFrom('admin', 'deployer', 'viewer'),
        exec: fc.boolean(),
        namespaces: fc.option(fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), { minLength: 1, maxLength: 5 }), { nil: undefined }),
      }),
      ({ role, exec, namespaces }) => {
        const given: OperatorGrant = { role, exec: role === 'admin' || exec, ...(role === 'deployer' && namespaces !== undefined ? { namespaces: [...namespaces].sort() } : {}) };
        assert.equal(grantOf(grantFields(given)), given);
      },
    ),
  );
});

test('any Operator object fields at all: grantOf never throws, and what it grants is well formed', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom('role', 'namespaces', 'exec', 'publicKey', 'other'), fc.jsonValue() as fc.Arbitrary<Json>), (fields) => {
      const granted = grantOf(fields);
      if (granted === undefined) return;
      assert.ok(['admin', 'deployer', 'viewer'].includes(granted.role));
      if (granted.namespaces !== undefined) assert.is(granted.role, 'deployer');
    }),
  );
});

test.run();

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { peerIdOfPublicKey } from '../../../base/peer-id.js';
import { ClusterDocument, operatorKey, Replica, type Delta, type Json, type Op } from '../../../crdt/index.js';
import { heldImagesField, heldImagesOf, IMAGE_HOLDERS_KEY, imageHoldings, MAX_HELD_IMAGES } from '../../../protocol/images/holders.js';
import { NODE_WRITES } from '../../../protocol/node-writes.js';
import { author, CLUSTER, write, type Author, withNodeWrites } from './fixtures.js';

const NOW = 1_800_000_000_000;
const operator = author(1);
const teammate = author(2);
const founder = author(5);
const founderId = peerIdOfPublicKey(founder.publicKey);
const joiner = author(6);
const joinerId = peerIdOfPublicKey(joiner.publicKey);
const stranger = author(7);

const id = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const A = id(10);
const B = id(11);
const C = id(12);

const replica = () => new Replica({ cluster: CLUSTER, operators: [operator.publicKey], nodes: [founder.publicKey, joiner.publicKey] }, withNodeWrites);

const code = (r: Replica, delta: Delta): string => {
  const result = r.receive(delta, NOW + 10_000);
  return result.ok ? 'ok' : result.error.code;
};

/** A node's list of its images, in its own field unless told otherwise. */
const hold = (by: Author, ids: Json, at: number, field = peerIdOfPublicKey(by.publicKey)): Delta => write(by, NOW + at, [{ key: IMAGE_HOLDERS_KEY, set: { [field]: ids } }]);

test("a node's own list of the images it holds counts, needing nothing else in the document", () => {
  const r = replica();
  const d = hold(founder, [A, B], 1);
  assert.ok(r.authorizes(d));
  assert.is(code(r, d), 'ok');
  assert.equal(r.document.get(IMAGE_HOLDERS_KEY), { [founderId]: [A, B] });
  assert.is(code(r, hold(joiner, [], 2)), 'ok', 'an empty list too');
  assert.equal(
    imageHoldings(r.document),
    new Map([
      [founderId, new Set([A, B])],
      [joinerId, new Set()],
    ]),
  );
});

test("a list in another node's field, or beside it, is refused before it is stored", () => {
  const r = replica();
  assert.is(code(r, hold(founder, [A], 1, joinerId)), 'not-allowed');
  assert.is(code(r, write(founder, NOW + 2, [{ key: IMAGE_HOLDERS_KEY, set: { [founderId]: [A], [joinerId]: [A] } }])), 'not-allowed');
  assert.is(code(r, write(founder, NOW + 3, [{ key: IMAGE_HOLDERS_KEY, set: {} }])), 'not-allowed');
  assert.is(code(r, hold(stranger, [A], 4)), 'unknown-author', 'a key that never joined, even in its own field');
  assert.is(r.size, 0);
  assert.is(r.document.get(IMAGE_HOLDERS_KEY), undefined);
});

test('a list that is not sorted unique image ids, at most 256, and a delete, are refused', () => {
  const r = replica();
  const many = Array.from({ length: MAX_HELD_IMAGES + 1 }, (_, i) => id(i));
  const bad: [string, Op][] = [
    ['unsorted', { key: IMAGE_HOLDERS_KEY, set: { [founderId]: [B, A] } }],
    ['a duplicate', { key: IMAGE_HOLDERS_KEY, set: { [founderId]: [A, A] } }],
    ['257 ids', { key: IMAGE_HOLDERS_KEY, set: { [founderId]: many } }],
    ['upper-case hex', { key: IMAGE_HOLDERS_KEY, set: { [founderId]: [A.toUpperCase().replace('SHA256', 'sha256')] } }],
    ['a short digest', { key: IMAGE_HOLDERS_KEY, set: { [founderId]: ['sha256:abc'] } }],
    ['no algorithm', { key: IMAGE_HOLDERS_KEY, set: { [founderId]: [A.slice('sha256:'.length)] } }],
    ['a tag', { key: IMAGE_HOLDERS_KEY, set: { [founderId]: ['busybox:latest'] } }],
    ['a string', { key: IMAGE_HOLDERS_KEY, set: { [founderId]: A } }],
    ['an object', { key: IMAGE_HOLDERS_KEY, set: { [founderId]: { [A]: true } } }],
    ['null', { key: IMAGE_HOLDERS_KEY, set: { [founderId]: null } }],
    ['a number in it', { key: IMAGE_HOLDERS_KEY, set: { [founderId]: [A, 1] } }],
    ['nested', { key: IMAGE_HOLDERS_KEY, set: { [founderId]: [[A]] } }],
    ['a delete', { key: IMAGE_HOLDERS_KEY, delete: true }],
    ['another key of the kind', { key: 'ImageHolders/cluster/other', set: { [founderId]: [A] } }],
  ];
  for (const [what, op] of bad) assert.is(code(r, write(founder, NOW + 1, [op])), 'not-allowed', what);
  assert.is(r.size, 0);
  assert.is(code(r, hold(founder, many.slice(0, MAX_HELD_IMAGES), 2)), 'ok', 'exactly 256');
});

test('the latest list by stamp shows, in whichever order the lists came', () => {
  const first = hold(founder, [A], 1);
  const second = hold(founder, [B, C], 2);
  const other = hold(joiner, [C], 3);
  const inOrder = replica();
  const reversed = replica();
  for (const d of [first, second, other]) code(inOrder, d);
  for (const d of [other, second, first]) code(reversed, d);
  assert.equal(inOrder.document.get(IMAGE_HOLDERS_KEY), { [founderId]: [B, C], [joinerId]: [C] });
  assert.equal(reversed.document.get(IMAGE_HOLDERS_KEY), inOrder.document.get(IMAGE_HOLDERS_KEY));
});

test('the lists survive a rebuild caused by an operator change, and a load from disk', () => {
  const r = replica();
  const deltas = [hold(founder, [A], 1), hold(joiner, [B], 2)];
  for (const d of deltas) code(r, d);
  const grant = write(operator, NOW + 3, [{ key: operatorKey(teammate.publicKey), set: { publicKey: teammate.publicKey } }]);
  assert.is(code(r, grant), 'ok');
  assert.equal(r.document.get(IMAGE_HOLDERS_KEY), { [founderId]: [A], [joinerId]: [B] });
  const loaded = replica();
  loaded.load([grant, ...deltas].reverse());
  assert.equal(loaded.document.get(IMAGE_HOLDERS_KEY), r.document.get(IMAGE_HOLDERS_KEY));
});

test('the policy: the object owns itself, nothing it changes is judged again, and its verdict is its shape', () => {
  assert.is(NODE_WRITES.ownerOf(IMAGE_HOLDERS_KEY), IMAGE_HOLDERS_KEY);
  assert.is(NODE_WRITES.ownerOf('ImageHolders/cluster/other'), undefined);
  assert.equal(NODE_WRITES.dependents(IMAGE_HOLDERS_KEY, new Set([IMAGE_HOLDERS_KEY]), true), []);
  assert.equal(NODE_WRITES.dependents(IMAGE_HOLDERS_KEY, new Set([IMAGE_HOLDERS_KEY]), false), []);
  const op: Op = { key: IMAGE_HOLDERS_KEY, set: { node1: [A] } };
  const full = new ClusterDocument();
  full.applyOp({ key: 'Workload/default/web', set: { 'spec.image': A } }, { hlc: { wallMs: 1, counter: 0 }, author: 'x', id: '1' });
  for (const document of [new ClusterDocument(), full]) {
    assert.ok(NODE_WRITES.counts(document, op, 'node1'));
    assert.not.ok(NODE_WRITES.counts(document, op, 'node2'));
  }
  assert.ok(NODE_WRITES.shapeAllowed(op, 'node1'));
  assert.ok(NODE_WRITES.summary.includes('image holdings'));
});

test('the reader leaves out a field that is not a well-formed list, as an operator may write one', () => {
  const r = replica();
  code(r, hold(founder, [A], 1));
  code(r, write(operator, NOW + 2, [{ key: IMAGE_HOLDERS_KEY, set: { someone: [B, A], other: 'x', third: [C] } }]));
  assert.equal(
    imageHoldings(r.document),
    new Map([
      [founderId, new Set([A])],
      ['third', new Set([C])],
    ]),
  );
  assert.equal(imageHoldings(new ClusterDocument()), new Map());
});

test('what heldImagesField writes, heldImagesOf reads back, for any ids up to the bound', () => {
  fc.assert(
    fc.property(fc.array(fc.nat({ max: 400 }).map(id), { maxLength: MAX_HELD_IMAGES }), (ids) => {
      const value = heldImagesField(ids);
      assert.equal(heldImagesOf(value), value);
      assert.equal(new Set(value), new Set(ids));
    }),
    { numRuns: 200 },
  );
});

test.run();

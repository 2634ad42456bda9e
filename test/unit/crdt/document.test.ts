import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterDocument } from '../../../crdt/index.js';
import { author, write } from './fixtures.js';

const key = 'Workload/default/web';

test('concurrent writes to different fields of one object both survive', () => {
  const [a, b] = [author(1), author(2)];
  const doc = new ClusterDocument();
  doc.apply(write(a, 1000, [{ key, set: { 'spec.image': 'web:1', 'spec.replicas': 2 } }]));
  doc.apply(write(a, 2000, [{ key, set: { 'spec.replicas': 5 } }]));
  doc.apply(write(b, 2000, [{ key, set: { 'spec.image': 'web:2' } }]));
  assert.equal(doc.get(key), { 'spec.image': 'web:2', 'spec.replicas': 5 });
});

test('the same field written at the same time resolves by author id, identically everywhere', () => {
  const [a, b] = [author(1), author(2)];
  const wa = write(a, 5000, [{ key, set: { 'spec.image': 'a' } }]);
  const wb = write(b, 5000, [{ key, set: { 'spec.image': 'b' } }]);
  const one = new ClusterDocument();
  const two = new ClusterDocument();
  one.apply(wa);
  one.apply(wb);
  two.apply(wb);
  two.apply(wa);
  assert.equal(one.get(key), two.get(key));
  assert.is(one.get(key)?.['spec.image'], a.publicKey > b.publicKey ? 'a' : 'b');
});

test('a delete hides every field written before it; a later write brings the object back with only that write', () => {
  const a = author(1);
  const doc = new ClusterDocument();
  doc.apply(write(a, 1000, [{ key, set: { x: 1, y: 2 } }]));
  doc.apply(write(a, 2000, [{ key, delete: true }]));
  assert.is(doc.get(key), undefined);
  assert.equal(doc.keys(), []);
  doc.apply(write(a, 1500, [{ key, set: { z: 3 } }]));
  assert.is(doc.get(key), undefined, 'a write older than the delete stays deleted');
  doc.apply(write(a, 3000, [{ key, set: { y: 9 } }]));
  assert.equal(doc.get(key), { y: 9 });
});

test('an object reads as the same frozen value until it changes, and a kind lists its live keys as they change', () => {
  const a = author(1);
  const doc = new ClusterDocument();
  doc.apply(
    write(a, 1000, [
      { key, set: { x: 1 } },
      { key: 'Service/default/web', set: { port: 80 } },
    ]),
  );
  const first = doc.get(key);
  assert.is(doc.get(key), first, 'read twice, one value');
  assert.ok(Object.isFrozen(first), 'a reader cannot change what the next reader sees');
  assert.equal(doc.keys('Workload'), [key]);
  doc.apply(write(a, 2000, [{ key: 'Workload/default/api', set: { x: 2 } }]));
  assert.is(doc.get(key), first, 'another object changed, this one did not');
  assert.equal(doc.keys('Workload'), ['Workload/default/api', key]);
  doc.apply(write(a, 3000, [{ key, set: { x: 3 } }]));
  assert.equal(doc.get(key), { x: 3 });
  doc.apply(write(a, 4000, [{ key, delete: true }]));
  assert.equal(doc.keys('Workload'), ['Workload/default/api']);
  assert.equal(doc.keys('Workload/default'), ['Workload/default/api'], 'a kind and namespace list as a prefix');
  assert.equal(doc.keys('Nothing'), [], 'a kind nobody wrote');
  assert.equal(doc.keys('Service'), ['Service/default/web']);
  doc.reset('Workload/default/api');
  assert.equal(doc.keys('Workload'), [], 'a reset object is listed no more');
});

test('a field set to null is absent', () => {
  const a = author(1);
  const doc = new ClusterDocument();
  doc.apply(write(a, 1000, [{ key, set: { x: 1, y: 2 } }]));
  doc.apply(write(a, 2000, [{ key, set: { y: null } }]));
  assert.equal(doc.get(key), { x: 1 });
});

test('garbage collection forgets tombstones older than the horizon, and nothing else', () => {
  const a = author(1);
  const doc = new ClusterDocument();
  doc.apply(
    write(a, 1000, [
      { key, set: { x: 1 } },
      { key: 'Workload/default/old', set: { x: 1 } },
    ]),
  );
  doc.apply(write(a, 2000, [{ key: 'Workload/default/old', delete: true }]));
  doc.apply(write(a, 9000, [{ key: 'Workload/default/recent', delete: true }]));
  assert.is(doc.size, 3);
  assert.is(doc.collect({ wallMs: 5000, counter: 0 }), 1);
  assert.is(doc.lastWrite('Workload/default/old'), undefined);
  assert.ok(doc.lastWrite('Workload/default/recent'));
  assert.equal(doc.get(key), { x: 1 });
});

test("a field's stamp says when and by whom its current value was written, and nothing once deleted", () => {
  const [a, b] = [author(1), author(2)];
  const doc = new ClusterDocument();
  doc.apply(write(a, 1000, [{ key, set: { 'spec.image': 'web:1', 'spec.replicas': 2 } }]));
  doc.apply(write(b, 3000, [{ key, set: { 'spec.replicas': 3 } }]));
  assert.equal([doc.fieldStamp(key, 'spec.image')?.hlc.wallMs, doc.fieldStamp(key, 'spec.image')?.author], [1000, a.publicKey]);
  assert.equal([doc.fieldStamp(key, 'spec.replicas')?.hlc.wallMs, doc.fieldStamp(key, 'spec.replicas')?.author], [3000, b.publicKey]);
  assert.is(doc.fieldStamp(key, 'spec.command'), undefined);
  doc.apply(write(a, 4000, [{ key, delete: true }]));
  assert.is(doc.fieldStamp(key, 'spec.replicas'), undefined);
});

test.run();

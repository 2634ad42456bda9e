import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Json } from '../../../crdt/index.js';
import { rolloutFailureField } from '../../../protocol/node-writes.js';
import { specVersionOf } from '../../../protocol/manifests/container.js';
import { newRevision, revisionOps, type AppliedObject } from '../../../protocol/rollout/revision-ops.js';
import { revisionFields, revisionKey, rolloutKey } from '../../../protocol/rollout/revisions.js';

const WEB = 'Workload/default/web';
const fields = (image: string, replicas = 2): Record<string, Json> => ({
  apiVersion: 'shoal/v1',
  'metadata.labels': { app: 'web' },
  'spec.image': image,
  'spec.replicas': replicas,
  'spec.env': [{ name: 'MODE', value: 'prod' }],
});
const applied = (image: string, replicas = 2, kind = 'Workload'): AppliedObject => ({ key: WEB, kind, fields: fields(image, replicas) });
const v2 = specVersionOf(fields('web:2'));
const v1 = specVersionOf(fields('web:1'));

test('a new workload makes its first revision, of its container fields only', () => {
  assert.is(newRevision(applied('web:1'), undefined), v1);
  assert.equal(revisionOps(applied('web:1'), undefined, undefined), [{ key: revisionKey(WEB, v1), set: { 'spec.image': 'web:1', 'spec.env': [{ name: 'MODE', value: 'prod' }] } }]);
  assert.equal(revisionFields(fields('web:1')), { 'spec.image': 'web:1', 'spec.env': [{ name: 'MODE', value: 'prod' }] });
});

test('a changed container spec makes a new revision; a change elsewhere (replicas, labels) makes none', () => {
  assert.is(newRevision(applied('web:2'), fields('web:1')), v2);
  assert.equal(revisionOps(applied('web:2'), fields('web:1'), {}), [{ key: revisionKey(WEB, v2), set: revisionFields(fields('web:2')) }]);
  assert.is(newRevision(applied('web:1', 5), fields('web:1')), undefined);
  assert.equal(revisionOps(applied('web:1', 5), fields('web:1'), {}), []);
  assert.equal(revisionOps({ key: WEB, kind: 'Workload', fields: { ...fields('web:1'), 'metadata.labels': { app: 'other' } } }, fields('web:1'), {}), []);
});

test('only a Workload has revisions', () => {
  for (const kind of ['Job', 'CronJob', 'Service', 'Secret']) {
    assert.is(newRevision(applied('web:1', 2, kind), undefined), undefined, kind);
    assert.equal(revisionOps(applied('web:1', 2, kind), undefined, undefined), [], kind);
  }
});

test("applying a spec that failed again clears that spec's failure marks, from every node, and no other's", () => {
  const rollout = {
    [rolloutFailureField(v2, 'node-a')]: { reason: 'crash loop', slot: 0, atMs: 1 },
    [rolloutFailureField(v2, 'node-b')]: { reason: 'not ready', slot: 1, atMs: 2 },
    [rolloutFailureField(v1, 'node-a')]: { reason: 'could not start', slot: 0, atMs: 3 },
    'failed.nothex.node-a': { slot: 0 },
    other: 1,
  };
  assert.equal(revisionOps(applied('web:2'), fields('web:1'), rollout), [
    { key: revisionKey(WEB, v2), set: revisionFields(fields('web:2')) },
    { key: rolloutKey(WEB), set: { [rolloutFailureField(v2, 'node-a')]: null, [rolloutFailureField(v2, 'node-b')]: null } },
  ]);
});

test('no marks of the new spec, or no Rollout object, clear nothing; an unchanged spec keeps its marks', () => {
  const marks = { [rolloutFailureField(v1, 'node-a')]: { reason: 'x', slot: 0, atMs: 1 } };
  assert.equal(revisionOps(applied('web:2'), fields('web:1'), marks), [{ key: revisionKey(WEB, v2), set: revisionFields(fields('web:2')) }]);
  assert.equal(revisionOps(applied('web:2'), fields('web:1'), undefined), [{ key: revisionKey(WEB, v2), set: revisionFields(fields('web:2')) }]);
  assert.equal(revisionOps(applied('web:1'), fields('web:1'), marks), []);
});

test.run();

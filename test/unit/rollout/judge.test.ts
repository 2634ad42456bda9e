import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReplicaStatus } from '../../../protocol/agent/reconcile.js';
import { failedRevisions, revisionName, type RolloutUnderWay } from '../../../protocol/rollout/judge.js';

const NOW = 1_800_000_000_000;
const WEB = 'Workload/default/web';
const status = (slot: number, fields: Partial<ReplicaStatus>): ReplicaStatus => ({
  workload: WEB,
  slot,
  epoch: 1,
  node: 'n1',
  specVersion: 'v2',
  state: 'running',
  restarts: 0,
  hostPorts: [],
  permanentFailure: false,
  ...fields,
});
const rollout = (plan: Partial<RolloutUnderWay['plan']> = {}, revisions = 2): Map<string, RolloutUnderWay> =>
  new Map([[WEB, { plan: { target: 'v2', rolledBackFrom: undefined, complete: false, ...plan }, policy: { progressDeadlineMs: 10_000 }, revisions }]]);

test('a replica of the revision being rolled out that cannot start, crash-loops or is not ready in time fails it, once', () => {
  const failed = failedRevisions(
    [
      status(0, { permanentFailure: true, message: 'no such image' }),
      status(1, { state: 'backoff', restarts: 3, message: 'exit 1' }),
      status(2, { ready: false, startedAtMs: NOW - 11_000 }),
    ],
    rollout(),
    new Set(),
    NOW,
  );
  assert.equal(failed, [{ workload: WEB, specVersion: 'v2', slot: 0, reason: 'could not start: no such image' }]);
});

test('nothing fails a revision that is complete, rolled back, the first, not the target, already judged, or only slow so far', () => {
  const ill = [status(0, { permanentFailure: true })];
  assert.equal(failedRevisions(ill, rollout({ complete: true }), new Set(), NOW), []);
  assert.equal(failedRevisions(ill, rollout({ rolledBackFrom: 'v3' }), new Set(), NOW), []);
  assert.equal(failedRevisions(ill, rollout({}, 1), new Set(), NOW), []);
  assert.equal(failedRevisions(ill, rollout({ target: 'v1' }), new Set(), NOW), []);
  assert.equal(failedRevisions(ill, rollout(), new Set([revisionName(WEB, 'v2')]), NOW), []);
  assert.equal(failedRevisions([status(0, { ready: false, startedAtMs: NOW - 9_000 })], rollout(), new Set(), NOW), []);
});

test.run();

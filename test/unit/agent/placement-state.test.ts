import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { localPlacementState, reportedPlacementState } from '../../../protocol/agent/placement-state.js';
import type { ReplicaStatus } from '../../../protocol/agent/reconcile.js';
import type { ObservedReplica } from '../../../protocol/agent/replica.js';
import { replicaStatus } from './fixtures.js';

const status = (over: Partial<ReplicaStatus> = {}): ReplicaStatus => replicaStatus({ ready: true, ...over });
const observed = (over: Partial<ObservedReplica> = {}): ObservedReplica => ({
  id: 'r1',
  workload: 'Workload/default/web',
  slot: 0,
  epoch: 1,
  specVersion: 'v1',
  state: 'running',
  hostPorts: [],
  ...over,
});

test('a replica whose process is gone is not running, though its last status still says so', () => {
  assert.equal(localPlacementState([], status()), { state: 'not running', ready: false, message: 'the runtime holds no replica of this slot', source: 'runtime' });
  const exited = localPlacementState([observed({ state: 'exited', exitCode: 137 })], status());
  assert.equal([exited.state, exited.ready, exited.message], ['exited', false, 'exited with code 137']);
});

test('a running replica is ready only as its prober last judged it', () => {
  assert.equal(localPlacementState([observed()], status({ ready: true })), { state: 'running', ready: true, message: undefined, source: 'runtime' });
  assert.is(localPlacementState([observed()], status({ ready: false })).ready, false);
  assert.is(localPlacementState([observed()], undefined).ready, false, 'no status yet: not known to be ready');
});

test('how a replica ended stays what its status says, once the runtime has let it go', () => {
  assert.is(localPlacementState([], status({ state: 'completed' })).state, 'completed');
  assert.is(localPlacementState([observed({ state: 'exited', exitCode: 1 })], status({ state: 'failed', message: 'exit 1' })).state, 'failed');
  assert.is(localPlacementState([observed({ state: 'created' })], undefined).state, 'pending');
});

test('of two replicas of one slot (one leaving), the running one speaks', () => {
  assert.is(localPlacementState([observed({ id: 'old', state: 'exited' }), observed({ id: 'new' })], status()).state, 'running');
});

test("another node's slot is as its node reported it, and pending before any report", () => {
  assert.equal(reportedPlacementState(status({ ready: false })), { state: 'running', ready: false, message: undefined, source: 'report' });
  assert.equal(reportedPlacementState(undefined), { state: 'pending', ready: false, message: undefined, source: 'report' });
});

test.run();

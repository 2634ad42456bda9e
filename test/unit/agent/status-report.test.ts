import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReplicaStatus } from '../../../protocol/agent/reconcile.js';
import { statusChanges } from '../../../protocol/agent/status-report.js';

const status = (workload: string, slot: number, fields: Partial<ReplicaStatus> = {}): ReplicaStatus => ({
  workload,
  slot,
  epoch: 1,
  node: 'n1',
  specVersion: 'v1',
  state: 'running',
  restarts: 0,
  hostPorts: [8080],
  permanentFailure: false,
  address: '10.0.0.5',
  firstRunningAtMs: 1_000,
  ...fields,
});
const WEB = 'Workload/default/web';
const JOB = 'Job/default/batch';

test('only what changed is written: an idle node writes nothing', () => {
  const running = status(WEB, 0);
  const written = new Map([['Status/default/web.0', running]]);
  assert.equal([...statusChanges(written, [running], [{ workload: WEB, slot: 0 }])], []);
  const restarted = status(WEB, 0, { restarts: 1 });
  assert.equal([...statusChanges(written, [restarted], [{ workload: WEB, slot: 0 }])], [['Status/default/web.0', restarted]]);
});

test('a slot the node no longer runs is written stopped, without its address and ports; an ended one is left as it ended', () => {
  const written = new Map([
    ['Status/default/web.1', status(WEB, 1)],
    ['Status/default/batch.0', status(JOB, 0, { state: 'completed' })],
  ]);
  const changes = statusChanges(written, [], []);
  assert.equal([...changes.keys()], ['Status/default/web.1']);
  const stopped = changes.get('Status/default/web.1');
  assert.is(stopped?.state, 'stopped');
  assert.equal(stopped?.hostPorts, []);
  assert.is(stopped?.address, undefined);
  assert.is(stopped?.firstRunningAtMs, undefined);
});

test('a slot still desired but not yet observed keeps its last status instead of being written stopped', () => {
  const written = new Map([['Status/default/web.0', status(WEB, 0)]]);
  assert.equal([...statusChanges(written, [], [{ workload: WEB, slot: 0 }])], []);
});

test('a slot given back after it failed for good is written stopped and still failed: the evidence the scheduler declines it on stays', () => {
  const failed = status(WEB, 2, { state: 'backoff', permanentFailure: true, message: 'the process runtime needs a command to run', hostPorts: [] });
  const written = new Map([['Status/default/web.2', failed]]);
  const stopped = statusChanges(written, [], []).get('Status/default/web.2');
  assert.is(stopped?.state, 'stopped');
  assert.is(stopped?.permanentFailure, true);
  // Written once: the next pass, with the stopped status on record, writes nothing.
  assert.equal([...statusChanges(new Map([['Status/default/web.2', stopped as ReplicaStatus]]), [], [])], []);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { failedHere } from '../../../protocol/scheduler/failed-here.js';
import type { SlotStatus } from '../../../protocol/scheduler/view.js';

const failed = (fields: Partial<SlotStatus> = {}): SlotStatus => ({
  node: 'a',
  epoch: 1,
  state: 'stopped',
  permanentFailure: true,
  specVersion: 'v1',
  writtenAtMs: 10_000,
  ...fields,
});
const at = (nowMs: number) => ({ nowMs, declineMs: 60_000 });

test('a node declines a slot that failed for good there, for as long as the decline lasts from when it wrote so', () => {
  assert.ok(failedHere(failed(), { specVersion: 'v1' }, at(10_000)));
  assert.ok(failedHere(failed(), { specVersion: 'v1' }, at(69_999)));
  assert.not.ok(failedHere(failed(), { specVersion: 'v1' }, at(70_000)), 'then it may try again');
  assert.not.ok(failedHere(failed({ permanentFailure: false }), { specVersion: 'v1' }, at(10_000)), 'a replica that only restarts is no reason');
});

test('a failure counts against its own spec only; without a version or a time on either side it counts', () => {
  assert.not.ok(failedHere(failed(), { specVersion: 'v2' }, at(10_000)), 'the new spec may be the fix');
  assert.ok(failedHere(failed({ specVersion: undefined }), { specVersion: 'v2' }, at(10_000)));
  assert.ok(failedHere(failed(), { specVersion: undefined }, at(10_000)));
  assert.ok(failedHere(failed({ writtenAtMs: undefined }), { specVersion: 'v1' }, at(1e12)));
});

test.run();

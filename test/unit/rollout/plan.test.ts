import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planRollout, type RolloutPolicy, type SlotProgress } from '../../../protocol/rollout/plan.js';

const policy = (maxUnavailable: number, maxSurge = 0): RolloutPolicy => ({ maxUnavailable, maxSurge, progressDeadlineMs: 60_000 });
const slots = (...specs: [string | undefined, boolean][]): SlotProgress[] => specs.map(([version, ready], index) => ({ index, version, ready }));
const targets = (plan: ReturnType<typeof planRollout>) => [...plan.slots.values()].map((t) => `${t.version}${t.surge ? '+' : ''}`);

test('one slot at a time moves, in index order, each after the ones before it are ready', () => {
  const base = { current: 'v2', revisions: ['v1', 'v2'], failed: new Set<string>(), policy: policy(1) };
  assert.equal(targets(planRollout({ ...base, slots: slots(['v1', true], ['v1', true], ['v1', true]) })), ['v2', 'v1', 'v1']);
  assert.equal(targets(planRollout({ ...base, slots: slots(['v2', false], ['v1', true], ['v1', true]) })), ['v2', 'v1', 'v1'], 'slot 0 is not ready yet');
  assert.equal(targets(planRollout({ ...base, slots: slots(['v2', true], ['v1', true], ['v1', true]) })), ['v2', 'v2', 'v1']);
  const done = planRollout({ ...base, slots: slots(['v2', true], ['v2', true], ['v2', true]) });
  assert.equal([done.complete, done.updated], [true, 3]);
});

test('maxUnavailable and maxSurge widen the window; the first maxSurge moves overlap', () => {
  const base = { current: 'v2', revisions: ['v1', 'v2'], failed: new Set<string>() };
  const six = slots(['v1', true], ['v1', true], ['v1', true], ['v1', true], ['v1', true], ['v1', true]);
  assert.equal(targets(planRollout({ ...base, slots: six, policy: policy(2) })), ['v2', 'v2', 'v1', 'v1', 'v1', 'v1']);
  assert.equal(targets(planRollout({ ...base, slots: six, policy: policy(1, 1) })), ['v2+', 'v2', 'v1', 'v1', 'v1', 'v1']);
  assert.equal(targets(planRollout({ ...base, slots: six, policy: policy(0, 1) })), ['v2+', 'v1', 'v1', 'v1', 'v1', 'v1']);
});

test('a slot on the target but not ready holds the window, wherever it is', () => {
  const plan = planRollout({ current: 'v2', revisions: ['v1', 'v2'], failed: new Set(), policy: policy(1), slots: slots(['v1', true], ['v1', true], ['v2', false]) });
  assert.equal(targets(plan), ['v1', 'v1', 'v2']);
});

test('an old slot that is not ready holds the window for the ready ones, and moves itself at once', () => {
  const base = { current: 'v2', revisions: ['v1', 'v2'], failed: new Set<string>(), policy: policy(1) };
  // Slot 1's v1 replica failed its readiness probe: moving slot 0 too would leave two of three down.
  assert.equal(targets(planRollout({ ...base, slots: slots(['v1', true], ['v1', false], ['v1', true]) })), ['v1', 'v2', 'v1']);
  // A revision that crash-loops everywhere is replaced everywhere, without waiting for it to get ready.
  assert.equal(targets(planRollout({ ...base, slots: slots(['v1', false], ['v1', false], ['v1', false]) })), ['v2', 'v2', 'v2']);
  // Not even a surge keeps a down replica: nothing of it is available.
  assert.equal(targets(planRollout({ ...base, policy: policy(0, 1), slots: slots(['v1', true], ['v1', false]) })), ['v1', 'v2']);
});

test('a slot that never ran starts on the target at once', () => {
  const plan = planRollout({ current: 'v2', revisions: ['v1', 'v2'], failed: new Set(), policy: policy(1), slots: slots(['v1', true], [undefined, false]) });
  assert.equal(targets(plan), ['v2', 'v2']);
});

test('a failed revision rolls back to the newest good one, in the same order', () => {
  const plan = planRollout({ current: 'v3', revisions: ['v1', 'v2', 'v3'], failed: new Set(['v3']), policy: policy(1), slots: slots(['v3', false], ['v2', true], ['v2', true]) });
  assert.equal([plan.target, plan.rolledBackFrom], ['v2', 'v3']);
  assert.equal(targets(plan), ['v2', 'v2', 'v2']);
});

test.run();

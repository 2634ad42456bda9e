import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultBackoff } from '../../protocol/agent/backoff.js';
import { reconcile, type AgentAction, type ReconcileInput } from '../../protocol/agent/reconcile.js';
import { replicaName, type DesiredReplica, type ObservedReplica, type RestartPolicy } from '../../protocol/agent/replica.js';
import type { ReplicaRecord, RestartBook } from '../../protocol/agent/restart-book.js';
import { undefinedPaths } from '../unit/agent/fixtures.js';

// A few workloads, slots, epochs and specs, so copies, orphans and stale specs collide often.
const workload = fc.constantFrom('Workload/a/api', 'Workload/b/db');
const slot = fc.integer({ min: 0, max: 2 });
const epoch = fc.integer({ min: 1, max: 2 });
// The spec version is a hash of the spec, so one version always names one spec: here, its restart policy.
const specVersion = fc.constantFrom<RestartPolicy>('always', 'on-failure', 'never');
const maybe = <T>(value: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(value, { nil: undefined });
const timeMs = fc.integer({ min: 0, max: 200_000 });
// Coarse moments, so copies that started together (and tie on time) are common.
const momentMs = fc.constantFrom(0, 60_000, 120_000, 180_000);

const desiredReplica: fc.Arbitrary<DesiredReplica> = fc
  .record({ workload, slot, epoch, specVersion })
  .map((d) => ({ ...d, spec: { image: 'app:1', env: {}, ports: [], restartPolicy: d.specVersion, capabilities: [] } }));

const observedReplica: fc.Arbitrary<ObservedReplica> = fc.record({
  id: fc.stringMatching(/^c[0-9]{1,2}$/),
  workload,
  slot,
  epoch,
  specVersion,
  state: fc.constantFrom<ObservedReplica['state']>('created', 'running', 'exited'),
  exitCode: maybe(fc.constantFrom(0, 1, 137)),
  startedAtMs: maybe(momentMs),
  finishedAtMs: maybe(momentMs),
  address: maybe(fc.constant('10.0.0.9')),
  hostPorts: fc.array(fc.constantFrom(80, 443, 8080), { maxLength: 2 }),
});

const record: fc.Arbitrary<ReplicaRecord> = fc.record({
  epoch,
  specVersion,
  restarts: fc.integer({ min: 0, max: 6 }),
  nextAttemptAtMs: fc.option(timeMs, { nil: null }),
  startFailures: fc.integer({ min: 0, max: 4 }),
  failedStartsHere: fc.integer({ min: 0, max: 8 }),
  lastError: fc.option(fc.constant('image not found'), { nil: null }),
  firstRunningAtMs: fc.option(timeMs, { nil: null }),
});

const book: fc.Arbitrary<RestartBook> = fc
  .array(fc.tuple(fc.record({ workload, slot }), record), { maxLength: 6 })
  .map((entries) => Object.fromEntries(entries.map(([at, r]) => [replicaName(at), r])));

/** A runtime copy of one of the desired replicas, so keepers, duplicates and ties are common. */
const copyOf = (desired: readonly DesiredReplica[]): fc.Arbitrary<ObservedReplica> =>
  fc.tuple(fc.constantFrom(...desired), observedReplica).map(([d, o]) => ({ ...o, workload: d.workload, slot: d.slot, epoch: d.epoch, specVersion: d.specVersion }));

const input: fc.Arbitrary<ReconcileInput> = fc.array(desiredReplica, { maxLength: 8 }).chain((desired) =>
  fc.record({
    desired: fc.constant(desired),
    observed: fc.uniqueArray(desired.length === 0 ? observedReplica : fc.oneof(observedReplica, copyOf(desired)), {
      selector: (o) => o.id,
      maxLength: 10,
    }),
    book,
    nowMs: timeMs,
    backoff: fc.constant(defaultBackoff),
    node: fc.constant('node-a'),
  }),
);

/** The runtime in miniature: a start adds a running replica, a restart runs it again, a removal deletes it. */
function execute(observed: readonly ObservedReplica[], actions: readonly AgentAction[], nowMs: number): ObservedReplica[] {
  let after = [...observed];
  for (const action of actions) {
    if (action.kind === 'remove') after = after.filter((o) => o.id !== action.id);
    if (action.kind === 'restart') after = after.map((o) => (o.id === action.id ? { ...o, state: 'running', startedAtMs: nowMs } : o));
    if (action.kind === 'start') {
      const { workload, slot, epoch, specVersion } = action.replica;
      const id = `started-${replicaName(action.replica)}`;
      after.push({ id, workload, slot, epoch, specVersion, state: 'running', startedAtMs: nowMs, hostPorts: [] });
    }
  }
  return after;
}

test('the result does not depend on the order of the desired or the observed replicas', () => {
  fc.assert(
    fc.property(input, fc.infiniteStream(fc.nat()), (given, picks) => {
      const shuffle = <T>(items: readonly T[]): T[] => [...items].sort(() => ((picks.next().value as number) % 3) - 1);
      const expected = reconcile(given);
      const reordered = { ...given, desired: shuffle(given.desired).reverse(), observed: shuffle(given.observed).reverse() };
      assert.equal(reconcile(reordered), expected);
      assert.equal(undefinedPaths(expected.statuses), []);
    }),
    { numRuns: 500 },
  );
});

test('after its actions run, a second pass at the same moment has nothing left to do', () => {
  fc.assert(
    fc.property(input, (given) => {
      const first = reconcile(given);
      const observed = execute(given.observed, first.actions, given.nowMs);
      const second = reconcile({ ...given, observed, book: first.book });
      assert.equal(second.actions, []);
    }),
    { numRuns: 500 },
  );
});

test.run();

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Json } from '../../../crdt/json.js';
import { defaultBackoff } from '../../../protocol/agent/backoff.js';
import { emptyBook } from '../../../protocol/agent/restart-book.js';
import { reconcile, replicaStatusOf, type ReplicaStatus } from '../../../protocol/agent/reconcile.js';
import { statusChanges } from '../../../protocol/agent/status-report.js';
import { desiredReplica, NODE, observedReplica, WORKLOAD } from './fixtures.js';

/** A status as the document holds it: JSON, undefined fields dropped. */
const asStored = (status: ReplicaStatus): Json => JSON.parse(JSON.stringify(status)) as Json;

const full: ReplicaStatus = {
  workload: WORKLOAD,
  slot: 2,
  epoch: 3,
  node: NODE,
  specVersion: '0123456789ab',
  state: 'running',
  restarts: 1,
  exitCode: 137,
  message: 'exited with code 137',
  address: '10.0.0.7',
  hostPorts: [8080],
  startedAtMs: 1_700_000_000_000,
  firstRunningAtMs: 1_700_000_000_500,
  permanentFailure: false,
  ready: true,
  probes: { liveness: 'passing', readiness: 'failing' },
};

const { exitCode: _e, message: _m, address: _a, startedAtMs: _s, firstRunningAtMs: _f, ready: _r, probes: _p, ...bare } = full;

test('a status with every field, or only the required ones, reads back exactly, keys in the order written', () => {
  for (const status of [full, bare]) {
    const read = replicaStatusOf(asStored(status));
    assert.equal(read, status);
    assert.is(JSON.stringify(read), JSON.stringify(status));
  }
});

test("statuses the reconciler and the prober write read back exactly, so a restarted node's own see no change", () => {
  const desired = [desiredReplica({ slot: 0 }), desiredReplica({ slot: 1 }), desiredReplica({ slot: 2 })];
  const observed = [observedReplica('a', { slot: 0, address: '10.0.0.2', hostPorts: [80] }), observedReplica('b', { slot: 1, state: 'exited', exitCode: 1 })];
  const result = reconcile({ desired, observed, book: emptyBook, nowMs: 5_000, backoff: defaultBackoff, node: NODE });
  const health = [{ ready: true, probes: { readiness: 'passing' as const } }, { ready: false }, {}];
  const written = result.statuses.map((s, i) => ({ ...s, ...health[i] }));
  assert.is(written.length, 3);
  const readBack = new Map<string, ReplicaStatus>();
  for (const status of written) {
    const read = replicaStatusOf(asStored(status));
    assert.ok(read !== undefined, `${status.slot} reads`);
    assert.is(JSON.stringify(read), JSON.stringify(asStored(status)));
    readBack.set(`Status/default/web.${status.slot}`, read);
  }
  assert.equal(statusChanges(readBack, written, desired).size, 0);
});

test('a status that is not one in full reads as none', () => {
  const without = (field: keyof ReplicaStatus): Json => {
    const { [field]: _gone, ...rest } = full;
    return asStored(rest as ReplicaStatus);
  };
  const stored = asStored(full) as Record<string, Json>;
  const malformed: [string, Json | undefined][] = [
    ['absent', undefined],
    ['null', null],
    ['a string', 'running'],
    ['a number', 3],
    ['an array', [stored]],
    ['no workload', without('workload')],
    ['no slot', without('slot')],
    ['no epoch', without('epoch')],
    ['no node', without('node')],
    ['no spec version', without('specVersion')],
    ['no state', without('state')],
    ['no restarts', without('restarts')],
    ['no host ports', without('hostPorts')],
    ['no permanentFailure', without('permanentFailure')],
    ['an unknown state', { ...stored, state: 'sleeping' }],
    ['an epoch as text', { ...stored, epoch: '3' }],
    ['a fractional slot', { ...stored, slot: 1.5 }],
    ['a negative restart count', { ...stored, restarts: -1 }],
    ['a host port out of range', { ...stored, hostPorts: [70_000] }],
    ['host ports that are not a list', { ...stored, hostPorts: 8080 }],
    ['readiness as text', { ...stored, ready: 'yes' }],
    ['permanentFailure as a number', { ...stored, permanentFailure: 0 }],
    ['a probe verdict unknown', { ...stored, probes: { liveness: 'maybe' } }],
    ['a probe unknown', { ...stored, probes: { startup: 'passing' } }],
    ['a field no status has', { ...stored, extra: true }],
    ['an optional field null', { ...stored, message: null }],
  ];
  for (const [what, value] of malformed) assert.is(replicaStatusOf(value), undefined, what);
});

const status: fc.Arbitrary<ReplicaStatus> = fc.record(
  {
    workload: fc.string(),
    slot: fc.nat(),
    epoch: fc.nat(),
    node: fc.string(),
    specVersion: fc.string(),
    state: fc.constantFrom('pending', 'running', 'backoff', 'completed', 'failed', 'stopped'),
    restarts: fc.nat(),
    exitCode: fc.integer({ min: -1, max: 255 }),
    message: fc.string(),
    address: fc.string(),
    hostPorts: fc.array(fc.integer({ min: 1, max: 65535 }), { maxLength: 4 }),
    startedAtMs: fc.nat(),
    firstRunningAtMs: fc.nat(),
    permanentFailure: fc.boolean(),
    ready: fc.boolean(),
    probes: fc.record({ liveness: fc.constantFrom('passing', 'failing'), readiness: fc.constantFrom('passing', 'failing') }, { requiredKeys: [] }),
  },
  { requiredKeys: ['workload', 'slot', 'epoch', 'node', 'specVersion', 'state', 'restarts', 'hostPorts', 'permanentFailure'] },
);

test('any well-formed status reads back exactly', () => {
  fc.assert(
    fc.property(status, (s) => {
      const stored = asStored(s);
      assert.equal(replicaStatusOf(stored), stored);
    }),
    { numRuns: 500 },
  );
});

test('any JSON value never throws: it reads as a status equal to it, or as none', () => {
  const anyValue = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    status.map(asStored),
    // A status with one field replaced by anything: near misses.
    fc
      .tuple(status, fc.constantFrom(...Object.keys(full)), fc.jsonValue({ maxDepth: 2 }))
      .map(([s, field, value]) => ({ ...(asStored(s) as Record<string, Json>), [field]: value })),
  );
  fc.assert(
    fc.property(anyValue, (value) => {
      const stored = JSON.parse(JSON.stringify(value)) as Json;
      const read = replicaStatusOf(stored);
      if (read !== undefined) assert.equal(read, stored);
    }),
    { numRuns: 2000 },
  );
});

test.run();

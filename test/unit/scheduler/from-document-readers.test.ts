import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterDocument, type Json, type Op } from '../../../crdt/index.js';
import { placementField } from '../../../protocol/node-writes.js';
import type { Constraint } from '../../../protocol/auction/candidate.js';
import { auctionId, tiebreak } from '../../../protocol/auction/slot.js';
import { claimOf, clusterView, constraintsOf, namesOtherNodes, UNREADABLE_CONSTRAINTS, workloadInfo } from '../../../protocol/scheduler/from-document.js';
import type { Claim } from '../../../protocol/scheduler/view.js';
import { node, SharedCluster, workload } from './harness.js';

const WEB = 'Workload/default/web';
const TIEBREAK = tiebreak('0'.repeat(32), 'a');
const winning: Claim = { epoch: 3, collector: 'c', winner: 'a', score: 0.75, tiebreak: TIEBREAK, bids: 2, declines: { 'insufficient-cpu': 1 } };
const unschedulable: Claim = { epoch: 4, collector: 'c', unschedulable: true, declines: { constraint: 3 }, retryAtMs: 1_700_000_000_000, liveMembers: 3 };

/** As node/scheduler-service.ts writes a claim: its field names the epoch and collector, its value holds the rest, as JSON. */
function written(claim: Claim): [string, Json] {
  const { epoch, collector, ...decision } = claim;
  return [placementField(epoch, collector), JSON.parse(JSON.stringify(decision)) as Json];
}

const stamp = (wallMs: number) => ({ hlc: { wallMs, counter: 0 }, author: 'test', id: String(wallMs) });
const documentOf = (ops: Op[]): ClusterDocument => {
  const doc = new ClusterDocument();
  ops.forEach((op, i) => doc.applyOp(op, stamp(1_000 + i)));
  return doc;
};

// Constraints.

const constraints: Constraint[] = [
  { key: 'zone', operator: '==', value: 'eu' },
  { key: 'disk', operator: '!=', value: 'hdd' },
  { key: 'rack', operator: 'in', values: ['r1', 'r2'] },
  { key: 'gpu', operator: 'exists' },
];

test('constraints as apply validated them read back exactly; none where the placement or its list is absent', () => {
  assert.equal(constraintsOf({ constraints: constraints as unknown as Json }), constraints);
  assert.equal(constraintsOf(undefined), []);
  assert.equal(constraintsOf({}), []);
  assert.equal(constraintsOf({ spreadBy: 'zone', maxPerNode: 2 }), []);
  assert.equal(constraintsOf({ constraints: [] }), []);
  assert.equal(workloadInfo(WEB, { 'spec.placement': { constraints: constraints as unknown as Json } }).demand.constraints, constraints);
});

test('constraints that cannot be read become one no node meets, the rest of the placement still read', () => {
  const malformed: [string, Json][] = [
    ['a placement that is not a mapping', 'zone=eu'],
    ['a placement that is a list', [{ key: 'zone', operator: 'exists' }]],
    ['a list that is not one', { constraints: { key: 'zone', operator: 'exists' } }],
    ['a null list', { constraints: null }],
    ['an entry that is not a mapping', { constraints: ['zone==eu'] }],
    ['an unknown operator', { constraints: [{ key: 'zone', operator: '~=', value: 'eu' }] }],
    ['no key', { constraints: [{ operator: 'exists' }] }],
    ['a key no label has', { constraints: [{ key: ' zone', operator: 'exists' }] }],
    ['a value that is not text', { constraints: [{ key: 'zone', operator: '==', value: 1 }] }],
    ['values that are not text', { constraints: [{ key: 'zone', operator: 'in', values: [1] }] }],
    ['a field no constraint has', { constraints: [{ key: 'zone', operator: 'exists', weight: 2 }] }],
    ['one bad entry among good ones', { constraints: [...(constraints as unknown as Json[]), { key: 'zone' }] }],
  ];
  for (const [what, placement] of malformed) assert.equal(constraintsOf(placement), UNREADABLE_CONSTRAINTS, what);
  const info = workloadInfo(WEB, { 'spec.placement': { constraints: 'zone', maxPerNode: 2, spreadBy: 'zone', strategy: 'binpack' } });
  assert.equal(info.demand.constraints, UNREADABLE_CONSTRAINTS);
  assert.equal([info.demand.maxPerNode, info.demand.spreadBy, info.policy], [2, 'zone', 'binpack']);
});

test('a workload whose constraints cannot be read is placed nowhere, and a global one gets no replica', () => {
  const nodes = new Map([
    ['a', node('a', { labels: { zone: 'eu' } })],
    ['b', node('b', { labels: { 'shoal/unreadable-constraints': '' } })],
  ]);
  const unreadable = { ...workload('web', 2), demand: { ...workload('web', 2).demand, constraints: constraintsOf({ constraints: [{ key: 'zone' }] }) } };
  const cluster = new SharedCluster(nodes, [unreadable]);
  cluster.run(100);
  assert.equal(cluster.placements().size, 0);
  const claims = [...cluster.claims.values()].flat();
  assert.ok(claims.length > 0 && claims.every((c) => 'unschedulable' in c), 'its auctions close unschedulable');

  const global = workloadInfo('Workload/default/agent', { 'spec.mode': 'global', 'spec.placement': { constraints: 'zone' } });
  const doc = documentOf([{ key: 'Workload/default/agent', set: { 'spec.image': 'x', 'spec.mode': 'global', 'spec.placement': { constraints: 'zone' } } }]);
  const view = clusterView(doc, [...nodes.values()]);
  assert.is(global.global, true);
  assert.is(view.workloads.find((w) => w.key === 'Workload/default/agent')?.replicas, 0);
});

// Claims.

test('claims as the scheduler writes them read back exactly', () => {
  for (const claim of [winning, unschedulable]) assert.equal(claimOf(...written(claim)), claim);
});

test('every claim schedulers make, winning or unschedulable, reads back exactly as written', () => {
  const nodes = new Map(['a', 'b', 'c'].map((id) => [id, node(id, { labels: { zone: id === 'c' ? 'us' : 'eu' } })]));
  const nowhere = { ...workload('nowhere', 1), demand: { ...workload('nowhere', 1).demand, constraints: [{ key: 'zone', operator: '==' as const, value: 'mars' }] } };
  const cluster = new SharedCluster(nodes, [workload('web', 4), nowhere]);
  cluster.run(100);
  const claims = [...cluster.claims.values()].flat();
  assert.ok(claims.some((c) => 'winner' in c) && claims.some((c) => 'unschedulable' in c), 'both kinds were made');
  for (const claim of claims) assert.equal(claimOf(...written(claim)), JSON.parse(JSON.stringify(claim)));
});

test('a claim that is not a decision in full, or a field not named for one, is skipped', () => {
  const [field, value] = written(winning);
  const win = value as Record<string, Json>;
  const [emptyField, emptyValue] = written(unschedulable);
  const empty = emptyValue as Record<string, Json>;
  const { score: _score, ...noScore } = win;
  const { tiebreak: _tiebreak, ...noTiebreak } = win;
  const { retryAtMs: _retry, ...noRetry } = empty;
  const malformed: [string, string, Json | undefined][] = [
    ['absent', field, undefined],
    ['null', field, null],
    ['text', field, 'a'],
    ['a list', field, [win]],
    ['a winner alone', field, { winner: 'a' }],
    ['no score', field, noScore],
    ['no tiebreak', field, noTiebreak],
    ['a score as text', field, { ...win, score: '0.75' }],
    ['a tiebreak not a bid’s', field, { ...win, tiebreak: 'zz' }],
    ['an empty winner', field, { ...win, winner: '' }],
    ['a fractional bid count', field, { ...win, bids: 1.5 }],
    ['declines not counted', field, { ...win, declines: { constraint: 'one' } }],
    ['declines that are a list', field, { ...win, declines: [1] }],
    ['a winner and unschedulable both', field, { ...win, unschedulable: true, retryAtMs: 1, liveMembers: 1 }],
    ['its own epoch and collector', field, { ...win, epoch: 9, collector: 'x' }],
    ['unschedulable false', emptyField, { ...empty, unschedulable: false }],
    ['no retry time', emptyField, noRetry],
    ['a negative member count', emptyField, { ...empty, liveMembers: -1 }],
    ['a field not named e<epoch>.<node>', 'winner', win],
    ['a field with no node', 'e3.', win],
  ];
  for (const [what, f, v] of malformed) assert.is(claimOf(f, v), undefined, what);
});

test("malformed claims are skipped in the scheduler's view and in whether the document names other nodes", () => {
  // A winning claim's tiebreak is its winner's own for the slot's auction of that epoch.
  const own = (claim: Claim): Claim => ('winner' in claim ? { ...claim, tiebreak: tiebreak(auctionId({ workload: WEB, index: 0 }, claim.epoch), claim.winner) } : claim);
  const mine = own({ ...winning, collector: 'self', winner: 'self' });
  const [field, value] = written(mine);
  const doc = documentOf([
    { key: WEB, set: { 'spec.image': 'x' } },
    { key: 'Placement/default/web.0', set: { [field]: value, [placementField(4, 'other')]: { winner: 'other' }, [placementField(5, 'other')]: 'other' } },
  ]);
  const view = clusterView(doc, [{ ...node('self') }]);
  assert.equal(view.claims.get(`${WEB}#0`), [mine]);
  assert.is(namesOtherNodes(doc, 'self'), false);
  // Beside it at its epoch, the best score there is and the lowest tiebreak: a made-up
  // tiebreak, or a score above a bid's, would beat it, and is skipped.
  const forged = [
    written({ ...winning, collector: 'x', winner: 'x', score: 1, tiebreak: '0'.repeat(32) }),
    written({ ...own({ ...winning, collector: 'x', winner: 'x' }), score: 2 }),
  ];
  doc.applyOp({ key: 'Placement/default/web.0', set: Object.fromEntries(forged.map(([, v], i) => [placementField(3, `x${i}`), v])) }, stamp(8_000));
  assert.equal(clusterView(doc, [{ ...node('self') }]).claims.get(`${WEB}#0`), [mine]);
  doc.applyOp({ key: 'Placement/default/web.0', set: { [placementField(6, 'other')]: written(own({ ...winning, epoch: 6, collector: 'other' }))[1] } }, stamp(9_000));
  assert.is(namesOtherNodes(doc, 'self'), true);
});

// Never throwing.

test('any JSON value never throws: a claim reads equal to it (with its epoch and collector) or not at all; constraints read or are unreadable', () => {
  const nearClaim = fc
    .tuple(
      fc.constantFrom(winning, unschedulable),
      fc.constantFrom('winner', 'score', 'tiebreak', 'bids', 'declines', 'unschedulable', 'retryAtMs', 'liveMembers'),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map(([claim, key, v]) => ({ ...(written(claim)[1] as Record<string, Json>), [key]: v }));
  const nearConstraints = fc
    .tuple(fc.nat({ max: constraints.length - 1 }), fc.constantFrom('key', 'operator', 'value', 'values'), fc.jsonValue({ maxDepth: 2 }))
    .map(([i, key, v]) => ({ constraints: constraints.map((c, j) => (i === j ? { ...c, [key]: v } : c)) as unknown as Json }));
  const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), nearClaim, nearConstraints);
  fc.assert(
    fc.property(anyValue, fc.oneof(fc.string(), fc.constant('e7.n1')), (raw, field) => {
      const value = JSON.parse(JSON.stringify(raw)) as Json;
      const claim = claimOf(field, value);
      if (claim !== undefined) {
        const { epoch: _epoch, collector: _collector, ...decision } = claim;
        assert.equal(decision, value);
      }
      const read = constraintsOf(value);
      if (read !== UNREADABLE_CONSTRAINTS) assert.equal(read, (value as { constraints?: Json }).constraints ?? []);
      workloadInfo(WEB, { 'spec.placement': value, 'spec.replicas': value });
    }),
    { numRuns: 2000 },
  );
});

test.run();

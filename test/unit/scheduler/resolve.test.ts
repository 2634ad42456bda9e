import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { slotHistory } from '../../../protocol/scheduler/assignment.js';
import { resolveSlot, seesMajority, type SlotContext } from '../../../protocol/scheduler/resolve.js';
import type { Claim, NodeInfo, SlotStatus } from '../../../protocol/scheduler/view.js';
import { node } from './harness.js';

const claim = (epoch: number, winner: string, score = 0.5): Claim => ({ epoch, collector: 'c', winner, score, tiebreak: '00', bids: 1, declines: {} });
const config = { fenceMs: 3_000, fenceMarginMs: 3_000 };

const context = (claims: Claim[], nodes: NodeInfo[], extra: Partial<SlotContext> = {}): SlotContext => ({
  history: slotHistory(claims),
  statuses: [],
  nodes: new Map(nodes.map((n) => [n.id, n])),
  partitionPolicy: 'available',
  hasMajority: true,
  majoritySinceMs: 0,
  nowMs: 100_000,
  config,
  ...extra,
});

test('a slot stays on a live node, and is marked unreachable while its node is suspect', () => {
  assert.equal(resolveSlot(context([claim(1, 'a')], [node('a', { state: 'suspect' })])), {
    kind: 'placed',
    assignment: { epoch: 1, node: 'a', score: 0.5, tiebreak: '00' },
    unreachable: true,
  });
});

test('a dead, left, unknown or draining node gives its slot to a new auction; a cordoned one keeps it', () => {
  for (const [nodes, because] of [
    [[node('a', { state: 'dead' })], 'node-dead'],
    [[node('a', { state: 'left' })], 'node-dead'],
    [[], 'node-dead'],
    [[node('a', { draining: true })], 'node-draining'],
  ] as const) {
    assert.equal(resolveSlot(context([claim(1, 'a')], [...nodes])), { kind: 'needs-auction', epoch: 2, because });
  }
  assert.is(resolveSlot(context([claim(1, 'a')], [node('a', { cordoned: true })])).kind, 'placed');
});

test('a replica that failed for good on its node is auctioned again', () => {
  const statuses: SlotStatus[] = [{ node: 'a', epoch: 1, state: 'backoff', permanentFailure: true }];
  assert.equal(resolveSlot(context([claim(1, 'a')], [node('a')], { statuses })), { kind: 'needs-auction', epoch: 2, because: 'failed' });
});

test("a node's failure of a slot fails its earlier placements of it too: its one status overwrote their own failures", () => {
  // a failed epoch 1, b epoch 2, then a again at epoch 3: a's status now speaks of epoch 3 only.
  const claims = [claim(1, 'a'), claim(2, 'b'), claim(3, 'a')];
  const statuses: SlotStatus[] = [
    { node: 'b', epoch: 2, state: 'stopped', permanentFailure: true },
    { node: 'a', epoch: 3, state: 'backoff', permanentFailure: true },
  ];
  assert.equal(resolveSlot(context(claims, [node('a'), node('b')], { statuses })), { kind: 'needs-auction', epoch: 4, because: 'failed' });
  // A running status of a later epoch says nothing against an earlier placement: the later one is kept.
  const running: SlotStatus[] = [{ node: 'a', epoch: 3, state: 'running', firstRunningAtMs: 1_000, permanentFailure: false }];
  assert.is((resolveSlot(context(claims, [node('a'), node('b')], { statuses: running })) as { assignment: { epoch: number } }).assignment.epoch, 3);
});

test('after a heal the replica that has run longest is kept, whatever the epochs', () => {
  const statuses: SlotStatus[] = [
    { node: 'a', epoch: 1, state: 'running', firstRunningAtMs: 1_000, permanentFailure: false },
    { node: 'b', epoch: 2, state: 'running', firstRunningAtMs: 5_000, permanentFailure: false },
  ];
  const decision = resolveSlot(context([claim(1, 'a'), claim(2, 'b')], [node('a'), node('b')], { statuses }));
  assert.is(decision.kind === 'placed' && decision.assignment.node, 'a');
  const neitherRan = resolveSlot(context([claim(1, 'a'), claim(2, 'b')], [node('a'), node('b')]));
  assert.is(neitherRan.kind === 'placed' && neitherRan.assignment.node, 'b', 'with no replica running yet, the latest decision holds');
});

test('two collectors that named different winners for one epoch resolve to the better bid', () => {
  const decision = resolveSlot(context([claim(1, 'a', 0.4), claim(1, 'b', 0.7)], [node('a'), node('b')]));
  assert.is(decision.kind === 'placed' && decision.assignment.node, 'b');
});

test('under majority, a minority side waits, and the majority side waits out the fence before replacing', () => {
  const dead = node('a', { state: 'dead', stateChangedAtMs: 99_000 });
  assert.equal(resolveSlot(context([claim(1, 'a')], [dead], { partitionPolicy: 'majority', hasMajority: false })), { kind: 'waiting', reason: 'no-majority' });
  assert.equal(resolveSlot(context([claim(1, 'a')], [dead], { partitionPolicy: 'majority' })), { kind: 'waiting', reason: 'fence', untilMs: 105_000 });
  assert.equal(resolveSlot(context([claim(1, 'a')], [dead], { partitionPolicy: 'majority', nowMs: 105_000 })), { kind: 'needs-auction', epoch: 2, because: 'node-dead' });
  assert.equal(
    resolveSlot(context([], [node('b')], { partitionPolicy: 'majority', hasMajority: false })),
    { kind: 'waiting', reason: 'no-majority' },
    'nor does a minority place new slots',
  );
});

test('a node back in the majority counts a dead node\'s fence from its return, not from its own "dead since"', () => {
  const dead = node('a', { state: 'dead', stateChangedAtMs: 80_000 });
  assert.equal(resolveSlot(context([claim(1, 'a')], [dead], { partitionPolicy: 'majority', majoritySinceMs: 99_000 })), { kind: 'waiting', reason: 'fence', untilMs: 105_000 });
  assert.equal(resolveSlot(context([claim(1, 'a')], [dead], { partitionPolicy: 'majority', majoritySinceMs: 90_000 })), { kind: 'needs-auction', epoch: 2, because: 'node-dead' });
});

test("under majority an older winner never comes back when the latest one's node dies; under available it does", () => {
  const claims = [claim(1, 'a'), claim(2, 'b')];
  const nodes = [node('a'), node('b', { state: 'dead', stateChangedAtMs: 99_000 })];
  assert.equal(resolveSlot(context(claims, nodes, { partitionPolicy: 'majority' })), { kind: 'waiting', reason: 'fence', untilMs: 105_000 });
  assert.equal(resolveSlot(context(claims, nodes, { partitionPolicy: 'majority', nowMs: 105_000 })), { kind: 'needs-auction', epoch: 3, because: 'node-dead' });
  const available = resolveSlot(context(claims, nodes));
  assert.is(available.kind === 'placed' && available.assignment.node, 'a');
});

test('an unschedulable slot waits for its retry time, unless the number of schedulable nodes changed or room was freed', () => {
  const empty: Claim = { epoch: 1, collector: 'c', unschedulable: true, declines: { 'insufficient-cpu': 1 }, retryAtMs: 110_000, liveMembers: 1 };
  assert.equal(resolveSlot(context([empty], [node('a')])), { kind: 'waiting', reason: 'backoff', untilMs: 110_000 });
  assert.equal(resolveSlot(context([empty], [node('a'), node('b')])), { kind: 'needs-auction', epoch: 2, because: 'new' });
  assert.equal(resolveSlot(context([empty], [node('a')], { nowMs: 110_000 })), { kind: 'needs-auction', epoch: 2, because: 'new' });
  assert.equal(resolveSlot(context([empty], [node('a')], { roomFreed: true })), { kind: 'needs-auction', epoch: 2, because: 'new' }, 'room freed since');
});

test('a majority counts the alive among the members that have not left; a suspect is not seen', () => {
  const of = (...states: NodeInfo['state'][]) => new Map(states.map((s, i) => [`n${i}`, node(`n${i}`, { state: s })]));
  assert.is(seesMajority(of('alive', 'alive', 'dead', 'dead', 'dead')), false);
  assert.is(seesMajority(of('alive', 'suspect', 'alive', 'dead', 'dead')), false);
  assert.is(seesMajority(of('alive', 'alive', 'alive', 'suspect', 'dead')), true);
  assert.is(seesMajority(of('alive', 'alive', 'left', 'left', 'dead')), true);
});

test('a silent member (our requests to it unanswered) does not count toward a majority', () => {
  const nodes = new Map(['n0', 'n1', 'n2', 'n3', 'n4'].map((id, i) => [id, node(id, { silent: i >= 2 })]));
  assert.is(seesMajority(nodes), false);
  nodes.set('n4', node('n4'));
  assert.is(seesMajority(nodes), true);
});

test.run();

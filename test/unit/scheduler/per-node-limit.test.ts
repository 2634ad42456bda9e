import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { slotKey } from '../../../protocol/auction/slot.js';
import { globalReplicas } from '../../../protocol/scheduler/global-mode.js';
import { planCluster, type Plan } from '../../../protocol/scheduler/plan.js';
import type { Claim, ClusterView, NodeInfo, SlotStatus, WorkloadInfo } from '../../../protocol/scheduler/view.js';
import { node, workload } from './harness.js';

const config = { fenceMs: 3_000, fenceMarginMs: 3_000 };
const agent = (): WorkloadInfo => {
  const w = workload('agent', 0, { global: true });
  return { ...w, demand: { ...w.demand, maxPerNode: 1 } };
};
const claim = (epoch: number, winner: string, score = 0.5): Claim => ({ epoch, collector: 'c', winner, score, tiebreak: '00', bids: 1, declines: {} });
const running = (node: string, epoch: number, firstRunningAtMs: number): SlotStatus => ({ node, epoch, state: 'running', firstRunningAtMs, permanentFailure: false });

/** A plan over `nodes`, with claims and statuses by slot index of `w`; a global workload counted as clusterView counts it. */
function plan(nodes: NodeInfo[], w: WorkloadInfo, claims: Record<number, Claim[]>, statuses: Record<number, SlotStatus[]> = {}): Plan {
  const members = new Map(nodes.map((n) => [n.id, n]));
  const counted = w.global === true ? { ...w, replicas: globalReplicas(w.demand, members) } : w;
  const bySlot = <T>(record: Record<number, T[]>) => new Map(Object.entries(record).map(([index, v]) => [slotKey({ workload: w.key, index: Number(index) }), v]));
  const view: ClusterView = { nodes: members, workloads: [counted], claims: bySlot(claims), statuses: bySlot(statuses) };
  return planCluster(view, 100_000, config);
}

const placed = (p: Plan): Record<number, string> => Object.fromEntries(p.placed.map((s) => [s.index, s.assignment.node]));
const open = (p: Plan) => p.open.map((o) => ({ index: o.index, epoch: o.epoch, because: o.because }));

test('two slots of a global workload claimed on one node: the lower keeps it, the higher is auctioned again', () => {
  const p = plan([node('a'), node('b'), node('c')], agent(), { 0: [claim(1, 'a')], 1: [claim(1, 'b')], 2: [claim(1, 'b')] });
  assert.equal(placed(p), { 0: 'a', 1: 'b' });
  assert.equal(open(p), [{ index: 2, epoch: 2, because: 'max-per-node' }]);
});

test("a global slot whose node is dead waits for it, and the live nodes' slots stay where they are", () => {
  const p = plan([node('a'), node('b', { state: 'dead', stateChangedAtMs: 90_000 }), node('c')], agent(), { 0: [claim(1, 'a')], 1: [claim(1, 'b')], 2: [claim(1, 'c')] });
  assert.equal(placed(p), { 0: 'a', 2: 'c' });
  assert.equal(p.open, [], 'no auction: every live node holds a replica of its own');
  assert.equal(
    p.waiting.map((w) => ({ index: w.index, decision: w.decision })),
    [{ index: 1, decision: { kind: 'waiting', reason: 'node-dead', node: 'b' } }],
  );
});

test('a node that left, unlike a dead one, gives up its global slot', () => {
  const p = plan([node('a'), node('b'), node('c', { state: 'left' })], agent(), { 0: [claim(1, 'c')], 1: [claim(1, 'b')] });
  assert.equal(open(p), [{ index: 0, epoch: 2, because: 'node-dead' }]);
});

test('two global slots bound to one dead node: one waits for it, the other goes to the live node without a replica', () => {
  const p = plan([node('a'), node('b', { state: 'dead' }), node('c')], agent(), { 0: [claim(1, 'b')], 1: [claim(1, 'a')], 2: [claim(1, 'b')] });
  assert.equal(
    p.waiting.map((w) => w.index),
    [0],
  );
  assert.equal(open(p), [{ index: 2, epoch: 2, because: 'node-dead' }]);
});

// The field state: d was falsely dead, its slot 1 went to e (epoch 2) though e held slot 4,
// and d's replica of slot 1 restarted since, so e's has run longer. Once d is back the
// plan gives each node one again: slot 1 stays with e, and slot 4 goes to auction, which
// only d (the node without one) can win.
test('after a false death that doubled a node up, the plan restores one replica a node', () => {
  const nodes = ['a', 'b', 'c', 'd', 'e'].map((id) => node(id));
  const claims = { 0: [claim(1, 'a')], 1: [claim(1, 'd'), claim(2, 'e')], 2: [claim(1, 'b')], 3: [claim(1, 'c')], 4: [claim(1, 'e')] };
  const p = plan(nodes, agent(), claims, { 1: [running('d', 1, 80_000), running('e', 2, 50_000)], 4: [running('e', 1, 10_000)] });
  assert.equal(placed(p), { 0: 'a', 1: 'e', 2: 'b', 3: 'c' });
  assert.equal(open(p), [{ index: 4, epoch: 2, because: 'max-per-node' }]);
  const settled = plan(nodes, agent(), { ...claims, 4: [claim(1, 'e'), claim(2, 'd')] });
  assert.equal(placed(settled), { 0: 'a', 1: 'e', 2: 'b', 3: 'c', 4: 'd' }, 'the new winner stays: e is full, so its older claim is not kept');
});

test('the limit holds for any workload with maxPerNode, not only global ones', () => {
  const w = workload('web', 3);
  const capped = { ...w, demand: { ...w.demand, maxPerNode: 2 } };
  const p = plan([node('a'), node('b')], capped, { 0: [claim(1, 'a')], 1: [claim(1, 'a')], 2: [claim(1, 'a')] });
  assert.equal(placed(p), { 0: 'a', 1: 'a' });
  assert.equal(open(p), [{ index: 2, epoch: 2, because: 'max-per-node' }]);
  assert.equal(
    placed(plan([node('a'), node('b')], w, { 0: [claim(1, 'a')], 1: [claim(1, 'a')], 2: [claim(1, 'a')] })),
    { 0: 'a', 1: 'a', 2: 'a' },
    'and only where there is a limit',
  );
});

test.run();

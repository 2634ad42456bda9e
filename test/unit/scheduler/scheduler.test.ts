import { test } from 'uvu';
import { createRandom } from '../../../base/random.js';
import { schedulerConfig } from '../../../protocol/scheduler/config.js';
import { Scheduler, type SchedulerEffect } from '../../../protocol/scheduler/scheduler.js';
import * as assert from 'uvu/assert';
import { GiB, node, SharedCluster, workload } from './harness.js';

const count = (placements: Map<string, string>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const n of placements.values()) out[n] = (out[n] ?? 0) + 1;
  return out;
};

test('six replicas on three equal nodes land two on each', () => {
  const cluster = new SharedCluster(new Map(['a', 'b', 'c'].map((id) => [id, node(id)])), [workload('web', 6)]);
  cluster.run(40);
  const placed = cluster.placements();
  assert.is(placed.size, 6);
  assert.equal(count(placed), { a: 2, b: 2, c: 2 });
});

test("a dead node's replicas are placed again on the live ones", () => {
  const cluster = new SharedCluster(new Map(['a', 'b', 'c'].map((id) => [id, node(id)])), [workload('web', 6)]);
  cluster.run(40);
  cluster.nodes = new Map([...cluster.nodes].map(([id, n]) => [id, id === 'b' ? { ...n, state: 'dead', stateChangedAtMs: cluster.nowMs } : n]));
  cluster.run(40);
  const placed = cluster.placements();
  assert.is(placed.size, 6);
  assert.equal(count(placed), { a: 3, c: 3 });
});

test('a replica no node can hold is unschedulable, and is placed once a node with room joins', () => {
  const big = workload('big', 1, { demand: { ...workload('x', 1).demand, workload: 'Workload/default/big', resources: { cpuMillis: 16_000, memoryBytes: 1 } } });
  const cluster = new SharedCluster(new Map(['a', 'b'].map((id) => [id, node(id)])), [big]);
  cluster.run(20);
  assert.is(cluster.placements().size, 0);
  const claims = cluster.claims.get('Workload/default/big#0') ?? [];
  assert.ok(claims.length > 0 && claims.every((c) => 'unschedulable' in c), 'the empty auction is recorded');
  cluster.nodes.set('huge', node('huge', { capacity: { cpuMillis: 32_000, memoryBytes: 64 * 1024 ** 3 } }));
  cluster.schedulers.set('huge', new Scheduler('huge', schedulerConfig.local(), createRandom(99), cluster.nowMs));
  cluster.nodes = new Map(cluster.nodes);
  cluster.run(40);
  assert.equal([...cluster.placements().values()], ['huge']);
});

test('a replica that does not fit waits minutes between empty auctions, and is placed at once when room is freed', () => {
  // Two nodes of 4 cores, filled by eight replicas of 1 core; one more core cannot fit.
  const fill = workload('fill', 8, { demand: { ...workload('fill', 1).demand, resources: { cpuMillis: 1000, memoryBytes: GiB } } });
  const late = workload('late', 1, { demand: { ...workload('late', 1).demand, resources: { cpuMillis: 1000, memoryBytes: GiB } } });
  const cluster = new SharedCluster(new Map(['a', 'b'].map((id) => [id, node(id)])), [fill]);
  cluster.run(100);
  cluster.workloads = [fill, late];
  // An hour, a tick a second.
  cluster.run(3600, 1000);
  const claims = cluster.claims.get('Workload/default/late#0') ?? [];
  assert.is(cluster.placements().get('Workload/default/late#0'), undefined);
  assert.ok(claims.every((c) => 'unschedulable' in c));
  // Back-off 1, 2, 4 ... 256 s, then every 300 s: 21 empty auctions in the hour (120 at a 30 s cap).
  const epochs = new Set(claims.map((c) => c.epoch)).size;
  assert.ok(epochs <= 21, `${epochs} empty auctions in an hour`);
  cluster.workloads = [workload('fill', 7, { demand: fill.demand }), late];
  cluster.run(40);
  assert.ok(cluster.placements().has('Workload/default/late#0'), 'placed within 2 s of a replica of fill going');
});

test('a bid from a node outside the view of the members, or with a tiebreak not its own, is refused, counted, and places nothing', () => {
  const nodes = () => new Map(['a', 'b', 'c'].map((id) => [id, node(id)]));
  const clean = new SharedCluster(nodes(), [workload('web', 6)]);
  clean.run(60);
  const attacked = new SharedCluster(nodes(), [workload('web', 6)]);
  // The best score and the lowest tiebreak: from 'x', which no node sees, and as 'c' with a tiebreak it made up.
  attacked.forge = (answers) =>
    answers.flatMap((a) =>
      'score' in a
        ? [
            { from: 'x', answers: [{ ...a, node: 'x', score: 1, tiebreak: '0'.repeat(32) }] },
            { from: 'c', answers: [{ ...a, node: 'c', score: 1, tiebreak: '0'.repeat(32) }] },
          ]
        : [],
    );
  attacked.run(60);
  assert.equal(count(attacked.placements()), count(clean.placements()));
  assert.equal(attacked.placements(), clean.placements());
  const refused = [...attacked.schedulers.values()].map((s) => s.refused);
  assert.ok(refused.some((r) => r['not-a-member'] > 0) && refused.some((r) => r.tiebreak > 0), JSON.stringify(refused));
});

test('no node is given more than its capacity, however many auctions run at once', () => {
  const nodes = new Map(Array.from({ length: 8 }, (_, i) => [`n${i}`, node(`n${i}`)] as const));
  const workloads = Array.from({ length: 10 }, (_, i) => workload(`w${i}`, 8));
  const cluster = new SharedCluster(nodes, workloads);
  cluster.run(200);
  const placed = cluster.placements();
  assert.is(placed.size, 64, 'every replica fits: 8 nodes x 8 replicas of 500m');
  for (const [id, n] of Object.entries(count(placed))) assert.ok(n <= 8, `${id} holds ${n}`);
});

test("a drained node's replicas move; a cordoned node keeps its replicas and gets no new ones", () => {
  const cluster = new SharedCluster(new Map(['a', 'b', 'c'].map((id) => [id, node(id)])), [workload('web', 3)]);
  cluster.run(40);
  cluster.nodes = new Map([...cluster.nodes].map(([id, n]) => [id, id === 'a' ? { ...n, cordoned: true } : id === 'b' ? { ...n, cordoned: true, draining: true } : n]));
  cluster.workloads = [workload('web', 4)];
  cluster.run(40);
  assert.equal(count(cluster.placements()), { a: 1, c: 3 });
});

test('a node whose replica failed for good declines the slot, so another node takes it', () => {
  const cluster = new SharedCluster(new Map(['a', 'b'].map((id) => [id, node(id)])), [workload('web', 1)]);
  cluster.run(20);
  const first = [...cluster.placements().values()][0] as string;
  const epoch = Math.max(...(cluster.claims.get('Workload/default/web#0') ?? []).map((c) => c.epoch));
  cluster.statuses.set('Workload/default/web#0', [{ node: first, epoch, state: 'backoff', permanentFailure: true }]);
  cluster.run(20);
  assert.equal([...cluster.placements().values()], [first === 'a' ? 'b' : 'a']);
});

test('a spec that failed for good on every node is placed again once a new spec is applied: a failure counts against its own spec', () => {
  const cluster = new SharedCluster(new Map(['a', 'b'].map((id) => [id, node(id)])), [workload('web', 1, { specVersion: 'broken' })]);
  const slot = 'Workload/default/web#0';
  // The node holding the slot fails it for good; its status (one per node and slot) says so.
  const failWhereHeld = (): void => {
    const held = cluster.placements().get(slot) as string;
    const epoch = Math.max(...(cluster.claims.get(slot) ?? []).map((c) => c.epoch));
    cluster.statuses.set(slot, [
      ...(cluster.statuses.get(slot) ?? []).filter((s) => s.node !== held),
      { node: held, epoch, state: 'stopped', permanentFailure: true, specVersion: 'broken' },
    ]);
  };
  cluster.run(20);
  failWhereHeld();
  cluster.run(40);
  failWhereHeld();
  cluster.run(40);
  assert.is(cluster.placements().size, 0, 'both nodes decline the spec that failed on them');
  cluster.workloads = [workload('web', 1, { specVersion: 'fixed' })];
  cluster.run(40);
  assert.is(cluster.placements().size, 1, 'the new spec may be the fix: a node bids for it');
});

test('a node defers an auction forecast for another node, and bids once it has waited deferMs', () => {
  const config = schedulerConfig.local();
  const b = new Scheduler('b', config, createRandom(1), 0);
  const web = workload('web', 2);
  const view = {
    nodes: new Map(['a', 'b'].map((id) => [id, node(id)])),
    workloads: [web],
    claims: new Map([['Workload/default/web#0', [{ epoch: 1, collector: 'a', winner: 'b', score: 1, tiebreak: '0', bids: 1, declines: {} }]]]),
    statuses: new Map(),
  };
  const answered = (effects: SchedulerEffect[]): string[] => effects.flatMap((e) => (e.type === 'send' ? e.answers.map((a) => ('reason' in a ? a.reason : 'bid')) : []));
  assert.equal(answered(b.tick(view, 1_000)), ['deferred'], 'the forecast gives web#1 to a, the emptier node');
  assert.not.ok(answered(b.tick(view, 1_000 + config.deferMs - 1)).includes('bid'), 'until then it only repeats its deferral');
  assert.equal(answered(b.tick(view, 1_000 + config.deferMs)), ['bid'], 'a never bid: b does');
});

test('a node fences its majority replicas fenceMs after it last saw a majority, counted from before its restart, and stays fenced while it catches up', () => {
  const config = schedulerConfig.local();
  const seenBeforeRestartMs = 10_000;
  const a = new Scheduler('a', config, createRandom(1), seenBeforeRestartMs);
  assert.not.ok(a.fenced(seenBeforeRestartMs + config.fenceMs - 1), 'within the fence before any plan');
  assert.ok(a.fenced(seenBeforeRestartMs + config.fenceMs), 'a restart does not reset the fence');
  const alive = (ids: string[]) => ({ nodes: new Map(ids.map((id) => [id, node(id)])), workloads: [], claims: new Map(), statuses: new Map() });
  const lonely = {
    ...alive(['a']),
    nodes: new Map([
      ['a', node('a')],
      ['b', node('b', { state: 'dead' })],
      ['c', node('c', { state: 'dead' })],
    ]),
  };
  const backAtMs = seenBeforeRestartMs + 2 * config.fenceMs;
  a.tick(lonely, backAtMs);
  assert.ok(a.fenced(backAtMs), 'no majority in sight');
  assert.is(a.majoritySeenAtMs, seenBeforeRestartMs);
  a.tick(alive(['a', 'b', 'c']), backAtMs + 100);
  assert.is(a.majoritySeenAtMs, backAtMs + 100);
  assert.ok(a.fenced(backAtMs + 100 + config.fenceMs - 1), 'it saw a majority again, and waits a fence for its view to catch up');
  a.synced('b', backAtMs + 100);
  for (const atMs of [backAtMs + 100 + config.fenceMs / 2, backAtMs + 100 + config.fenceMs]) a.tick(alive(['a', 'b', 'c']), atMs);
  assert.not.ok(a.fenced(backAtMs + 100 + config.fenceMs), 'a fence passed, and it has exchanged with b: with it, a majority');
  const fresh = new Scheduler('b', config, createRandom(2), backAtMs);
  fresh.tick(alive(['a', 'b', 'c']), backAtMs + 100);
  assert.not.ok(fresh.fenced(backAtMs + 100), 'a node that saw a majority within the fence is not held back');
});

// Found by the testnet's pause fault: unpaused, the node's agent ran before its scheduler
// ticked, found the replica its fence keeper had removed, and started it again, beside
// the majority side's replacement, because the node had not "lost" the majority at any tick.
test('a node that did not tick for a fence (paused, hung) is fenced at once, and a fence more once it sees a majority', () => {
  const config = schedulerConfig.local();
  const view = { nodes: new Map(['a', 'b', 'c'].map((id) => [id, node(id)])), workloads: [], claims: new Map(), statuses: new Map() };
  const a = new Scheduler('a', config, createRandom(1), 0);
  a.tick(view, 1_000);
  assert.not.ok(a.fenced(1_000 + config.fenceMs - 1));
  const unpausedAtMs = 1_000 + 5 * config.fenceMs;
  assert.ok(a.fenced(unpausedAtMs), 'before its first tick after the pause');
  a.tick(view, unpausedAtMs);
  assert.ok(a.fenced(unpausedAtMs + config.fenceMs - 1), 'its view may not show the replacement yet');
  a.synced('c', unpausedAtMs + 10);
  for (const atMs of [unpausedAtMs + config.fenceMs / 2, unpausedAtMs + config.fenceMs]) a.tick(view, atMs);
  assert.not.ok(a.fenced(unpausedAtMs + config.fenceMs));
  assert.ok(a.fenced(unpausedAtMs + 2 * config.fenceMs), 'the lease runs out without ticks that renew it');
});

// Found by the testnet's skew fault: a clock 60 s ahead, then set back, left the catch-up
// fence 60 s in the future, and the node's singleton stopped for a minute.
test('a clock stepped back does not hold the fence for the length of the step', () => {
  const config = schedulerConfig.local();
  const view = { nodes: new Map(['a', 'b', 'c'].map((id) => [id, node(id)])), workloads: [], claims: new Map(), statuses: new Map() };
  const a = new Scheduler('a', config, createRandom(1), 0);
  a.tick(view, 1_000);
  a.tick(view, 61_000);
  assert.ok(a.fenced(61_000), 'a step ahead looks like a pause: fenced a fence (the safe side)');
  a.tick(view, 1_100);
  a.synced('b', 1_100);
  for (const atMs of [1_100 + config.fenceMs / 2, 1_100 + config.fenceMs]) a.tick(view, atMs);
  assert.not.ok(a.fenced(1_100 + config.fenceMs), 'back on time, fenced no longer than a fence');
});

// Found by the fault suite on a busy host (issue 20, item 8): healed, a minority node waited
// its fence, then ran its old copy of a majority slot for 0.5 s beside the majority side's
// replacement, whose claim had not reached it yet.
test('back from a time away, a node stays fenced until it has exchanged with enough peers to make a majority with them, however long that takes', () => {
  const config = schedulerConfig.local();
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const view = (dead: string[] = []) => ({
    nodes: new Map(ids.map((id) => [id, node(id, dead.includes(id) ? { state: 'dead' as const } : {})])),
    workloads: [],
    claims: new Map(),
    statuses: new Map(),
  });
  const a = new Scheduler('a', config, createRandom(1), 0);
  a.tick(view(), 1_000);
  const backAtMs = 1_000 + 3 * config.fenceMs;
  a.synced('b', backAtMs - 1);
  a.tick(view(), backAtMs);
  assert.ok(a.catchingUp);
  a.synced('b', backAtMs - 1);
  a.synced('c', backAtMs);
  const later = backAtMs + 20 * config.fenceMs;
  for (let atMs = backAtMs; atMs <= later; atMs += config.fenceMs / 2) a.tick(view(), atMs);
  assert.ok(a.fenced(later), 'one exchange begun since it came back (c) and one from before (b): with a, two of five');
  a.synced('d', later);
  a.tick(view(['d']), later + 1);
  assert.ok(a.fenced(later + 1), 'an exchange with a peer now dead does not count');
  a.tick(view(), later + 2);
  assert.not.ok(a.fenced(later + 2), 'a, c and d: three of five');
  assert.not.ok(a.catchingUp);
});

test('a node never away needs no exchange, and one back within the fence none either', () => {
  const config = schedulerConfig.local();
  const view = { nodes: new Map(['a', 'b', 'c'].map((id) => [id, node(id)])), workloads: [], claims: new Map(), statuses: new Map() };
  const a = new Scheduler('a', config, createRandom(1), 0);
  for (let atMs = 0; atMs < 10 * config.fenceMs; atMs += config.fenceMs / 2) a.tick(view, atMs);
  assert.not.ok(a.fenced(10 * config.fenceMs - 1));
  assert.not.ok(a.catchingUp);
});

test.run();

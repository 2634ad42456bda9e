import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  auctionId,
  bidFor,
  checkFeasibility,
  isBid,
  isClosed,
  ReservationLedger,
  winner,
  type AuctionProgress,
  type Candidate,
  type Demand,
} from '../../../protocol/auction/index.js';

const GiB = 1024 ** 3;
const node = (id: string, over: Partial<Candidate> = {}): Candidate => ({
  id,
  labels: { zone: 'a' },
  capacity: { cpuMillis: 4000, memoryBytes: 8 * GiB },
  allocated: { cpuMillis: 0, memoryBytes: 0 },
  hostPortsInUse: new Set(),
  schedulable: true,
  replicasByWorkload: new Map(),
  ...over,
});
const demand = (over: Partial<Demand> = {}): Demand => ({
  workload: 'Workload/default/web',
  resources: { cpuMillis: 500, memoryBytes: GiB },
  hostPorts: [],
  constraints: [],
  maxPerNode: undefined,
  spreadBy: undefined,
  ...over,
});
const none = { replicasByLabelValue: new Map<string, number>() };

test('every filter refuses with its reason', () => {
  const cases: [Partial<Demand>, Partial<Candidate>, string][] = [
    [{}, { schedulable: false }, 'not-schedulable'],
    [{}, { allocated: { cpuMillis: 3800, memoryBytes: 0 } }, 'insufficient-cpu'],
    [{}, { allocated: { cpuMillis: 0, memoryBytes: 7.5 * GiB } }, 'insufficient-memory'],
    [{ constraints: [{ key: 'zone', operator: '==', value: 'b' }] }, {}, 'constraint'],
    [{ constraints: [{ key: 'gpu', operator: 'exists' }] }, {}, 'constraint'],
    [{ constraints: [{ key: 'zone', operator: 'in', values: ['b', 'c'] }] }, {}, 'constraint'],
    [{ constraints: [{ key: 'zone', operator: '!=', value: 'a' }] }, {}, 'constraint'],
    [{ hostPorts: [8080] }, { hostPortsInUse: new Set([8080]) }, 'host-port-in-use'],
    [{ maxPerNode: 1 }, { replicasByWorkload: new Map([['Workload/default/web', 1]]) }, 'max-per-node'],
  ];
  for (const [d, c, reason] of cases) {
    const verdict = checkFeasibility(demand(d), node('n', c));
    assert.equal(verdict.ok ? 'ok' : verdict.reason, reason);
  }
  assert.ok(
    checkFeasibility(
      demand({
        constraints: [
          { key: 'zone', operator: 'in', values: ['a'] },
          { key: 'zone', operator: 'exists' },
        ],
      }),
      node('n'),
    ).ok,
  );
});

test('spread prefers the emptier node and binpack the fuller one', () => {
  const empty = node('empty');
  const busy = node('busy', { allocated: { cpuMillis: 2000, memoryBytes: 4 * GiB } });
  const auction = auctionId({ workload: 'Workload/default/web', index: 0 }, 1);
  const bids = (policy: 'spread' | 'binpack') => [empty, busy].map((c) => bidFor(auction, policy, demand(), c, none)).filter(isBid);
  assert.is(winner(bids('spread'))?.node, 'empty');
  assert.is(winner(bids('binpack'))?.node, 'busy');
});

test('spread keeps replicas of one workload apart, and balances a spread label', () => {
  const auction = auctionId({ workload: 'Workload/default/web', index: 1 }, 1);
  const holding = node('holding', { replicasByWorkload: new Map([['Workload/default/web', 1]]) });
  const bare = node('bare');
  assert.is(winner([holding, bare].map((c) => bidFor(auction, 'spread', demand(), c, none)).filter(isBid))?.node, 'bare');
  const inA = node('in-a', { labels: { zone: 'a' } });
  const inB = node('in-b', { labels: { zone: 'b' }, allocated: { cpuMillis: 1000, memoryBytes: 2 * GiB } });
  const context = {
    replicasByLabelValue: new Map([
      ['a', 2],
      ['b', 0],
    ]),
  };
  assert.is(winner([inA, inB].map((c) => bidFor(auction, 'spread', demand({ spreadBy: 'zone' }), c, context)).filter(isBid))?.node, 'in-b');
});

test('a decline carries the reason; auction ids depend on workload, slot and epoch only', () => {
  const answer = bidFor('x', 'spread', demand({ hostPorts: [80] }), node('n', { hostPortsInUse: new Set([80]) }), none);
  assert.equal(answer, { auction: 'x', node: 'n', reason: 'host-port-in-use', detail: 'host port 80 is in use' });
  const slot = { workload: 'Workload/default/web', index: 2 };
  assert.is(auctionId(slot, 3), auctionId({ ...slot }, 3));
  assert.is.not(auctionId(slot, 3), auctionId(slot, 4));
  assert.is.not(auctionId(slot, 3), auctionId({ ...slot, index: 3 }, 3));
});

/** An auction's progress: opened at 1000, one bid, nothing deferred, nobody silent, and `overrides`. */
const progressOf = (overrides: Partial<AuctionProgress>): AuctionProgress => ({
  openedAtMs: 1000,
  windowMs: 500,
  silentWindowMs: 200,
  silent: new Set<string>(),
  liveMembers: new Set(['a', 'b']),
  answered: new Set(['a']),
  bids: 1,
  deferring: 0,
  lateBidAtMs: undefined,
  gatherMs: 100,
  ...overrides,
});

test('an auction closes when every live member answered, or when its window has passed', () => {
  const progress = progressOf({});
  assert.not.ok(isClosed(progress, 1200));
  assert.ok(isClosed(progress, 1500));
  assert.ok(isClosed({ ...progress, answered: new Set(['a', 'b']) }, 1001));
  assert.ok(isClosed({ ...progress, bids: 0 }, 1500), 'with neither bids nor deferrals it closes empty');
});

test('a member that let the last auction close without it gets the short window; one that answers, the long one', () => {
  const progress = progressOf({ windowMs: 5000, silentWindowMs: 500, silent: new Set(['c']), liveMembers: new Set(['a', 'b', 'c']) });
  assert.not.ok(isClosed(progress, 1500), 'b has answered before: it is waited for');
  assert.not.ok(isClosed({ ...progress, answered: new Set(['a', 'b']) }, 1499));
  assert.ok(isClosed({ ...progress, answered: new Set(['a', 'b']) }, 1500), 'only silent c is missing, past the short window');
  assert.ok(isClosed(progress, 6000), 'the long window bounds the wait for b');
});

test('an auction with no bid yet stays open while a live member that could take it has deferred', () => {
  const progress = progressOf({ answered: new Set(['a', 'b']), bids: 0, deferring: 1 });
  assert.not.ok(isClosed(progress, 1001));
  assert.not.ok(isClosed(progress, 9000), 'not even past its window');
  assert.ok(isClosed({ ...progress, bids: 1 }, 1001), 'a bid closes it once all have answered');
  const late = { ...progress, bids: 1, lateBidAtMs: 3000 };
  assert.not.ok(isClosed(late, 3050), 'a late bid is gathered with the others that follow it');
  assert.ok(isClosed(late, 3100));
});

test('reservations count until released or expired, so they never leak capacity', () => {
  const ledger = new ReservationLedger();
  ledger.reserve('a1', { cpuMillis: 500, memoryBytes: 10 }, [8080], 5000);
  ledger.reserve('a2', { cpuMillis: 250, memoryBytes: 5 }, [], 9000);
  assert.equal(ledger.total(1000), { cpuMillis: 750, memoryBytes: 15 });
  assert.equal([...ledger.hostPorts(1000)], [8080]);
  assert.equal(ledger.total(6000), { cpuMillis: 250, memoryBytes: 5 }, 'an expired reservation no longer counts');
  assert.is(ledger.expire(6000), 1);
  ledger.release('a2');
  assert.equal(ledger.total(6000), { cpuMillis: 0, memoryBytes: 0 });
});

test.run();

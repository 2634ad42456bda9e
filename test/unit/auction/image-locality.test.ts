import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auctionId, bidFor, isBid, winner, type Candidate, type Demand, type SchedulingPolicy } from '../../../protocol/auction/index.js';
import { IMAGE_LOCALITY, lacksImage, score } from '../../../protocol/auction/scores/index.js';

const GiB = 1024 ** 3;
const IMAGE = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;
const WEB = 'Workload/default/web';

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
  workload: WEB,
  resources: { cpuMillis: 400, memoryBytes: 0.8 * GiB },
  hostPorts: [],
  constraints: [],
  maxPerNode: undefined,
  spreadBy: undefined,
  image: IMAGE,
  ...over,
});
const none = { replicasByLabelValue: new Map<string, number>() };
const holding = { images: new Set([OTHER, IMAGE]) };
/** Allocated so that the node's utilization after the 10% replica is `after`. */
const filledTo = (after: number): Partial<Candidate> => ({ allocated: { cpuMillis: 4000 * (after - 0.1), memoryBytes: 8 * GiB * (after - 0.1) } });
const auction = auctionId({ workload: WEB, index: 0 }, 1);
const winnerOf = (policy: SchedulingPolicy, d: Demand, candidates: Candidate[], context = none): string | undefined =>
  winner(candidates.map((c) => bidFor(auction, policy, d, c, context)).filter(isBid))?.node;

test('between equal nodes the one holding the image wins, under spread and binpack, whichever id hashes first', () => {
  for (const policy of ['spread', 'binpack'] as const) {
    for (const [holder, other] of [
      ['a', 'b'],
      ['b', 'a'],
      ['n7', 'n1'],
    ]) {
      const candidates = [node(other as string, filledTo(0.4)), node(holder as string, { ...filledTo(0.4), ...holding })];
      assert.is(winnerOf(policy, demand(), candidates), holder, `${policy}: ${holder} over ${other}`);
    }
  }
});

test('a node lacking the image but clearly less loaded (spread) or fuller (binpack) still wins', () => {
  assert.is(winnerOf('spread', demand(), [node('holder', { ...filledTo(0.7), ...holding }), node('lacking', filledTo(0.5))]), 'lacking');
  assert.is(winnerOf('binpack', demand(), [node('holder', { ...filledTo(0.5), ...holding }), node('lacking', filledTo(0.7))]), 'lacking');
});

test('the worst case the comment names: within 5% of load the holder wins, past it the lacking node', () => {
  // Spread, no replica yet: 39% free holding beats 40% free lacking; 37% free does not.
  assert.is(winnerOf('spread', demand(), [node('holder', { ...filledTo(0.61), ...holding }), node('lacking', filledTo(0.6))]), 'holder');
  assert.is(winnerOf('spread', demand(), [node('holder', { ...filledTo(0.63), ...holding }), node('lacking', filledTo(0.6))]), 'lacking');
  // Binpack: filled to 77% holding beats 80% lacking; 75% does not.
  assert.is(winnerOf('binpack', demand(), [node('holder', { ...filledTo(0.77), ...holding }), node('lacking', filledTo(0.8))]), 'holder');
  assert.is(winnerOf('binpack', demand(), [node('holder', { ...filledTo(0.75), ...holding }), node('lacking', filledTo(0.8))]), 'lacking');
});

test('at the replica counts where a fixed 5% would tie or tip, one replica fewer still wins at equal load', () => {
  for (const fewer of [0, 1, 17, 18, 19, 50, 500]) {
    const lacking = node('lacking', { ...filledTo(0.3), replicasByWorkload: new Map([[WEB, fewer]]) });
    const holder = node('holder', { ...filledTo(0.3), replicasByWorkload: new Map([[WEB, fewer + 1]]), ...holding });
    assert.ok(score('spread', demand(), lacking, none) > score('spread', demand(), holder, none), `${fewer} against ${fewer + 1}`);
  }
});

test('with many replicas in one domain, the domain with fewer still wins at equal load, whoever holds the image', () => {
  for (const policy of ['spread', 'binpack'] as const) {
    for (const most of [1, 19, 20, 40, 1000]) {
      const context = {
        replicasByLabelValue: new Map([
          ['a', most],
          ['b', most - 1],
        ]),
      };
      const candidates = [node('in-a', { ...filledTo(0.3), labels: { zone: 'a' }, ...holding }), node('in-b', { ...filledTo(0.3), labels: { zone: 'b' } })];
      assert.is(winnerOf(policy, demand({ spreadBy: 'zone' }), candidates, context), 'in-b', `${policy}, ${most} in a`);
    }
  }
});

test('a demand whose image is unknown, or a node that says nothing, scores as without the term', () => {
  const lacking = node('n', filledTo(0.4));
  const d = demand();
  const unknown = demand({ image: undefined });
  for (const policy of ['spread', 'binpack'] as const) {
    assert.is(score(policy, unknown, lacking, none), score(policy, unknown, { ...lacking, ...holding }, none), policy);
    assert.is(score(policy, d, lacking, none), score(policy, d, { ...lacking, images: new Set([OTHER]) }, none), policy);
  }
  assert.not.ok(lacksImage(unknown, lacking));
  assert.ok(lacksImage(d, lacking));
  assert.ok(lacksImage(d, { ...lacking, images: new Set() }));
  assert.not.ok(lacksImage(d, { ...lacking, ...holding }));
});

test('a lacking node loses IMAGE_LOCALITY of its load term with no replica and no domain yet, and scores stay within 0..1', () => {
  const lacking = node('n', filledTo(0.5));
  assert.is(score('spread', demand(), lacking, none), Math.round(0.5 * (1 - IMAGE_LOCALITY) * 1e9) / 1e9);
  assert.is(score('binpack', demand(), lacking, none), Math.round(0.5 * (1 - IMAGE_LOCALITY) * 1e9) / 1e9);
  for (const after of [0.1, 0.5, 1]) {
    for (const policy of ['spread', 'binpack'] as const) {
      for (const images of [undefined, holding.images]) {
        const value = score(policy, demand(), node('n', { ...filledTo(after), images }), none);
        assert.ok(value >= 0 && value <= 1, `${policy} ${after}: ${value}`);
      }
    }
  }
});

test('the image term never makes an infeasible node feasible', () => {
  const full = node('full', { allocated: { cpuMillis: 3800, memoryBytes: 0 }, ...holding });
  const answer = bidFor(auction, 'spread', demand(), full, none);
  assert.not.ok(isBid(answer));
  assert.is(winnerOf('spread', demand(), [full, node('empty')]), 'empty');
});

test.run();

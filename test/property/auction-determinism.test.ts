import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auctionId, tiebreak, winner, type Bid } from '../../protocol/auction/index.js';
import { slotHistory } from '../../protocol/scheduler/assignment.js';
import type { Claim } from '../../protocol/scheduler/view.js';

const slot = { workload: 'Workload/default/web', index: 0 };
const auction = auctionId(slot, 1);
const node = fc.integer({ min: 0, max: 40 }).map((i) => `n${i}`);
// Few distinct scores, so ties are common and the tie-break is exercised.
const score = fc.constantFrom(0, 0.25, 0.5, 0.5000001, 0.75, 1);

const bids = fc
  .uniqueArray(fc.record({ node, score }), { selector: (b) => b.node, minLength: 1, maxLength: 25 })
  .map((set) => set.map(({ node, score }): Bid => ({ auction, node, score, tiebreak: tiebreak(auction, node) })));

/** A collector's claim for one epoch, as it writes it after closing on `seen`. */
function claimOf(epoch: number, collector: string, seen: readonly Bid[]): Claim {
  const best = winner(seen);
  return best === undefined
    ? { epoch, collector, unschedulable: true, declines: {}, retryAtMs: 1_000 * epoch, liveMembers: 3 }
    : { epoch, collector, winner: best.node, score: best.score, tiebreak: best.tiebreak, bids: seen.length, declines: {} };
}

/** Claims of up to 4 epochs by up to 3 collectors each: one document field per (epoch, collector). */
const claims = fc
  .uniqueArray(fc.record({ epoch: fc.integer({ min: 1, max: 4 }), collector: fc.constantFrom('c0', 'c1', 'c2'), seen: fc.array(fc.record({ node, score }), { maxLength: 6 }) }), {
    selector: (c) => `${c.epoch}/${c.collector}`,
    minLength: 1,
    maxLength: 12,
  })
  .map((list) => list.map((c) => claimOf(c.epoch, c.collector, [...new Map(c.seen.map((b) => [b.node, { auction, ...b, tiebreak: tiebreak(auction, b.node) }])).values()])));

test('the same bid set in any order gives the same winner', () => {
  fc.assert(
    fc.property(
      bids.chain((set) => fc.tuple(fc.constant(set), fc.shuffledSubarray(set, { minLength: set.length, maxLength: set.length }))),
      ([set, shuffled]) => {
        assert.equal(winner(shuffled), winner(set));
      },
    ),
    { numRuns: 500 },
  );
});

test('the claims of a slot in any order, with duplicates, give the same history', () => {
  const withDuplicates = claims.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }), fc.subarray(list)));
  fc.assert(
    fc.property(withDuplicates, ([list, shuffled, repeated]) => {
      assert.equal(slotHistory([...shuffled, ...repeated]), slotHistory(list));
    }),
    { numRuns: 500 },
  );
});

test('two collectors that saw different subsets of the bids converge on the best bid of the union', () => {
  const split = bids.chain((set) => fc.tuple(fc.constant(set), fc.subarray(set, { minLength: 1 }), fc.subarray(set, { minLength: 1 })));
  fc.assert(
    fc.property(split, ([, seenByFirst, seenBySecond]) => {
      const [a, b] = [claimOf(1, 'c0', seenByFirst), claimOf(1, 'c1', seenBySecond)];
      const best = winner([...seenByFirst, ...seenBySecond]) as Bid;
      for (const order of [
        [a, b],
        [b, a],
      ]) {
        const [kept] = slotHistory(order).assignments;
        assert.equal(kept, { epoch: 1, node: best.node, score: best.score, tiebreak: best.tiebreak });
      }
    }),
    { numRuns: 500 },
  );
});

test.run();

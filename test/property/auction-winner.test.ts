import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareBids, tiebreak, winner, type Bid } from '../../protocol/auction/index.js';

const auction = 'a'.repeat(32);
const bid: fc.Arbitrary<Bid> = fc
  .record({ node: fc.stringMatching(/^n[0-9]{1,3}$/), score: fc.constantFrom(0, 0.25, 0.5, 0.5000001, 1) })
  .map(({ node, score }) => ({ auction, node, score, tiebreak: tiebreak(auction, node) }));
const bids = fc.uniqueArray(bid, { selector: (b) => b.node, minLength: 1, maxLength: 30 });

test('the same bid set in any order, with repeats, gives every node the same winner', () => {
  fc.assert(
    fc.property(bids, fc.infiniteStream(fc.nat()), (set, picks) => {
      const expected = winner(set);
      const shuffled = [...set].sort(() => ((picks.next().value as number) % 3) - 1);
      assert.equal(winner(shuffled), expected);
      assert.equal(winner([...shuffled, ...set.slice(0, 3)]), expected);
    }),
    { numRuns: 300 },
  );
});

test('the bid order is total: antisymmetric and transitive, so any merge that uses it converges', () => {
  fc.assert(
    fc.property(bid, bid, bid, (a, b, c) => {
      assert.is(Math.sign(compareBids(a, b)), -Math.sign(compareBids(b, a)));
      if (compareBids(a, b) <= 0 && compareBids(b, c) <= 0) assert.ok(compareBids(a, c) <= 0);
      if (a.node !== b.node) assert.is.not(compareBids(a, b), 0);
    }),
    { numRuns: 1000 },
  );
});

test.run();

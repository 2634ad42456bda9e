import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRandom, type Random } from '../../../base/random.js';
import { chooseProvider } from '../../../protocol/images/provider-choice.js';

const NONE: ReadonlySet<string> = new Set();
const options = (over: Partial<Parameters<typeof chooseProvider>[1]> = {}): Parameters<typeof chooseProvider>[1] => ({
  self: 'me',
  reachable: () => true,
  failed: NONE,
  random: createRandom(1),
  ...over,
});
/** A source that always picks the first candidate: shows which pool was drawn from. */
const first: Random = { next: () => 0, int: () => 0 };

test('there is no provider to choose among none, only self, or only failed ones', () => {
  assert.is(chooseProvider([], options()), undefined);
  assert.is(chooseProvider(['me'], options()), undefined);
  assert.is(chooseProvider(['a', 'b', 'me'], options({ failed: new Set(['a', 'b']) })), undefined);
});

test('this node and the providers that failed are never chosen', () => {
  const random = createRandom(7);
  for (let i = 0; i < 200; i++) assert.is(chooseProvider(['me', 'a', 'b', 'c'], options({ failed: new Set(['a', 'c']), random })), 'b');
});

test('reachable providers come first; unreachable ones only when no reachable one is left', () => {
  const reachable = (peer: string): boolean => peer === 'c';
  assert.is(chooseProvider(['a', 'b', 'c'], options({ reachable, random: first })), 'c');
  assert.is(chooseProvider(['a', 'b', 'c'], options({ reachable, random: first, failed: new Set(['c']) })), 'a');
  assert.is(chooseProvider(['a', 'b', 'c'], options({ reachable: () => false, random: first })), 'a');
});

test('the choice is replayed from the seed', () => {
  const run = (seed: number): (string | undefined)[] => {
    const random = createRandom(seed);
    return Array.from({ length: 20 }, () => chooseProvider(['a', 'b', 'c', 'd'], options({ random })));
  };
  assert.equal(run(42), run(42));
});

test('twenty nodes asking for one image spread over its holders, not all onto the first', () => {
  const holders = ['h0', 'h1', 'h2', 'h3', 'h4'];
  const random = createRandom(2024);
  const draws = 10_000;
  const counts = new Map(holders.map((h) => [h, 0]));
  for (let i = 0; i < draws; i++) {
    const chosen = chooseProvider(holders, options({ self: `n${i % 20}`, random })) as string;
    counts.set(chosen, (counts.get(chosen) ?? 0) + 1);
  }
  // Uniform: each holder near draws/5. Chi-square with 4 degrees of freedom is below
  // 18.47 with probability 0.999; a fixed seed makes the test exact either way.
  const expected = draws / holders.length;
  const chiSquare = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
  assert.ok(chiSquare < 18.47, `chi-square ${chiSquare.toFixed(2)}: ${JSON.stringify([...counts])}`);
  // And twenty nodes at once: no holder serves most of them.
  const once = createRandom(5);
  const firstRound = Array.from({ length: 20 }, (_, i) => chooseProvider(holders, options({ self: `n${i}`, random: once })));
  assert.ok(new Set(firstRound).size >= 3 && firstRound.filter((h) => h === 'h0').length < 10, firstRound.join(' '));
});

test('a provider listed twice is not twice as likely', () => {
  const random = createRandom(3);
  let a = 0;
  for (let i = 0; i < 4_000; i++) if (chooseProvider(['a', 'a', 'a', 'b'], options({ random })) === 'a') a++;
  assert.ok(Math.abs(a - 2_000) < 200, `a chosen ${a} times of 4000`);
});

test.run();

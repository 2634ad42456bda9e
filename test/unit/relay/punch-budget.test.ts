import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PUNCH_WINDOW_MS, PUNCHES_PER_PEER, PunchBudget } from '../../../protocol/relay/punch-budget.js';

test('a peer gets its punches a window, then is refused until the oldest leaves the window', () => {
  const budget = new PunchBudget();
  for (let i = 0; i < PUNCHES_PER_PEER; i++) assert.ok(budget.take('p', i * 1_000), `punch ${i + 1}`);
  assert.not.ok(budget.take('p', PUNCHES_PER_PEER * 1_000), 'one past the budget');
  assert.not.ok(budget.take('p', PUNCH_WINDOW_MS - 1), 'the first punch (at 0) is still in the window');
  assert.ok(budget.take('p', PUNCH_WINDOW_MS), 'a window later, the first punch has left it');
});

test('refusals are not counted against the peer: asking faster gains nothing and costs nothing later', () => {
  const budget = new PunchBudget(2, 10_000);
  assert.ok(budget.take('p', 0));
  assert.ok(budget.take('p', 0));
  for (let t = 1; t < 10_000; t += 100) assert.not.ok(budget.take('p', t));
  assert.ok(budget.take('p', 10_000));
});

test('each peer has its own budget, and a peer with no punch in the window is forgotten', () => {
  const budget = new PunchBudget(1, 10_000);
  assert.ok(budget.take('a', 0));
  assert.ok(budget.take('b', 0), 'a has spent its budget, not b`s');
  assert.is(budget.size, 2);
  assert.ok(budget.take('c', 20_000));
  assert.is(budget.size, 1, 'a and b punched more than a window ago');
});

test.run();

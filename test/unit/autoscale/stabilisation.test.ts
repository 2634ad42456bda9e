import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Stabilisation } from '../../../protocol/autoscale/stabilisation.js';

const S = 1_000;
const T0 = 1_700_000_000_000;

/** Records `replicas` at each of `seconds` after T0 (recording nothing for undefined), then answers at the last one. */
function follow(s: Stabilisation, current: number, windows: { upMs: number; downMs: number }, steps: [seconds: number, replicas: number | undefined][]): number[] {
  return steps.map(([seconds, replicas]) => {
    s.record(T0 + seconds * S, replicas);
    return s.stabilised(T0 + seconds * S, current, windows);
  });
}

test('with both windows 0 the count follows the latest recommendation, up and down', () => {
  const s = new Stabilisation();
  const windows = { upMs: 0, downMs: 0 };
  assert.equal(
    follow(s, 4, windows, [
      [0, 7],
      [1, 2],
      [2, 4],
      [3, 1],
    ]),
    [7, 2, 4, 1],
  );
});

test('nothing recorded yet, or only rounds that measured nothing, leaves the count where it is', () => {
  const s = new Stabilisation();
  assert.is(s.stabilised(T0, 5, { upMs: 0, downMs: 0 }), 5);
  s.record(T0, undefined);
  s.record(T0 + 10 * S, undefined);
  assert.is(s.stabilised(T0 + 10 * S, 5, { upMs: 0, downMs: 0 }), 5);
});

test('scaling down waits until every recommendation in the down window asks for fewer', () => {
  const s = new Stabilisation();
  const windows = { upMs: 0, downMs: 60 * S };
  // Asks for 4 at 0 s, then 1 from 10 s on: only at 60 s has the 4 left the window.
  const steps: [number, number][] = [
    [0, 4],
    [10, 1],
    [20, 1],
    [30, 1],
    [40, 1],
    [50, 1],
    [59, 1],
    [60, 1],
  ];
  assert.equal(follow(s, 4, windows, steps), [4, 4, 4, 4, 4, 4, 4, 1]);
});

test('down as far as the highest recommendation in the down window allows, no further', () => {
  const s = new Stabilisation();
  const windows = { upMs: 0, downMs: 30 * S };
  assert.equal(
    follow(s, 6, windows, [
      [0, 6],
      [10, 3],
      [20, 2],
      [30, 1],
      [40, 1],
      [50, 1],
    ]),
    [6, 6, 6, 3, 2, 1],
  );
});

test('a spike within the down window holds the count up until it has left the window', () => {
  const s = new Stabilisation();
  const windows = { upMs: 0, downMs: 60 * S };
  follow(
    s,
    4,
    windows,
    [0, 10, 20, 30, 40, 50].map((t) => [t, 1]),
  );
  s.record(T0 + 60 * S, 1);
  assert.is(s.stabilised(T0 + 60 * S, 4, windows), 1, 'a full window of 1s');
  // The count stayed at 4 (nobody wrote yet). A spike to 5 at 65 s scales up at once (no up
  // window), and while it is in the down window the count cannot go below 4: until 125 s.
  const after = follow(s, 4, windows, [
    [65, 5],
    [70, 1],
    [100, 1],
    [124, 1],
    [125, 1],
  ]);
  assert.equal(after, [5, 4, 4, 4, 1]);
});

test('a spike below the count but above the rest holds the count at the spike', () => {
  const s = new Stabilisation();
  const windows = { upMs: 0, downMs: 60 * S };
  const answers = follow(s, 5, windows, [
    [0, 5],
    [10, 1],
    [30, 3],
    [60, 1],
    [89, 1],
    [90, 1],
  ]);
  assert.equal(answers, [5, 5, 5, 3, 3, 1]);
});

test('scaling up waits until every recommendation in the up window asks for more, then goes to the least of them', () => {
  const s = new Stabilisation();
  const windows = { upMs: 30 * S, downMs: 0 };
  assert.equal(
    follow(s, 2, windows, [
      [0, 2],
      [10, 6],
      [20, 5],
      [30, 7],
      [39, 7],
      [40, 7],
      [50, 8],
    ]),
    // At 30 s the 2 (at 0 s) has left: the least of 6, 5, 7 is 5; the 5 (at 20 s) leaves at 50 s.
    [2, 2, 2, 5, 5, 5, 7],
  );
});

test('a dip within the up window holds the count where it is', () => {
  const s = new Stabilisation();
  const windows = { upMs: 30 * S, downMs: 0 };
  const answers = follow(s, 2, windows, [
    [0, 6],
    [10, 6],
    [20, 2],
    [30, 6],
    [49, 6],
    [50, 6],
  ]);
  // The up window is 30 s; the instance watched it whole only from 30 s.
  assert.equal(answers, [2, 2, 2, 2, 2, 6]);
});

test('a fresh instance never scales down before it has watched a whole down window, and does after', () => {
  const s = new Stabilisation();
  const windows = { upMs: 0, downMs: 300 * S };
  const start = T0 + 3_600 * S;
  // Its first record is now: the window before it is unknown, not empty.
  s.record(start, 1);
  assert.is(s.stabilised(start, 4, windows), 4);
  for (let t = 15; t < 300; t += 15) {
    s.record(start + t * S, 1);
    assert.is(s.stabilised(start + t * S, 4, windows), 4, `at ${t} s`);
  }
  s.record(start + 300 * S, 1);
  assert.is(s.stabilised(start + 300 * S, 4, windows), 1);
});

test('a fresh instance scales up at once with no up window, and waits one it has not watched', () => {
  const now = T0;
  const quick = new Stabilisation();
  quick.record(now, 9);
  assert.is(quick.stabilised(now, 3, { upMs: 0, downMs: 300 * S }), 9);
  const slow = new Stabilisation();
  slow.record(now, 9);
  assert.is(slow.stabilised(now, 3, { upMs: 60 * S, downMs: 300 * S }), 3);
  for (let t = 10; t < 60; t += 10) {
    slow.record(now + t * S, 9);
    assert.is(slow.stabilised(now + t * S, 3, { upMs: 60 * S, downMs: 300 * S }), 3, `at ${t} s`);
  }
  slow.record(now + 60 * S, 9);
  assert.is(slow.stabilised(now + 60 * S, 3, { upMs: 60 * S, downMs: 300 * S }), 9);
});

test('watching starts at the first round that measured something: rounds that measured nothing are not watched', () => {
  const s = new Stabilisation();
  const windows = { upMs: 6 * S, downMs: 60 * S };
  s.record(T0, undefined);
  s.record(T0 + 5 * S, undefined);
  s.record(T0 + 10 * S, 9);
  assert.is(s.stabilised(T0 + 10 * S, 1, windows), 1, 'one high reading after rounds of none does not pass a 6 s up window');
  s.record(T0 + 15 * S, 9);
  s.record(T0 + 16 * S, 9);
  assert.is(s.stabilised(T0 + 16 * S, 1, windows), 9, 'a whole window of high readings does');
});

test('readings further apart than the gap start the watch over: a partition of a minute is not a minute watched', () => {
  const s = new Stabilisation();
  const windows = { upMs: 0, downMs: 60 * S };
  for (let t = 0; t <= 30; t += 5) s.record(T0 + t * S, 4);
  s.record(T0 + 90 * S, 1);
  assert.is(s.stabilised(T0 + 90 * S, 4, windows), 4);
  for (let t = 95; t <= 150; t += 5) s.record(T0 + t * S, 1);
  assert.is(s.stabilised(T0 + 150 * S, 4, windows), 1);
});

test.run();

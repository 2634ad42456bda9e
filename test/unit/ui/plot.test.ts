import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { linear, linePath, minuteTicks, niceStep, niceTicks, PALETTE, seriesColors } from '../../../ui/plot.js';

test('a linear scale maps the ends of its domain on the ends of its range, and a flat domain on the start', () => {
  const y = linear(0, 100, 200, 0);
  assert.is(y(0), 200);
  assert.is(y(100), 0);
  assert.is(y(25), 150);
  assert.is(linear(5, 5, 10, 20)(5), 10);
});

test('a step is rounded up to 1, 2 or 5 times a power of ten', () => {
  assert.equal([0.7, 1, 1.2, 3, 7, 12, 250, 0.03].map(niceStep), [1, 1, 2, 5, 10, 20, 500, 0.05]);
  assert.is(niceStep(0), 1);
  assert.is(niceStep(Number.NaN), 1);
});

test('ticks go from zero in round steps to the first at or above the largest value', () => {
  assert.equal(niceTicks(1500), [0, 500, 1000, 1500]);
  assert.equal(niceTicks(900), [0, 500, 1000]);
  assert.equal(niceTicks(100), [0, 50, 100]);
  assert.equal(niceTicks(0.3), [0, 0.1, 0.2, 0.3]);
  assert.equal(niceTicks(0), [0, 1]);
});

test('time ticks fall each minute back from the newest sample, the last one now', () => {
  assert.equal(minuteTicks(600_000, 5 * 60_000), [
    { atMs: 300_000, label: '-5m' },
    { atMs: 360_000, label: '-4m' },
    { atMs: 420_000, label: '-3m' },
    { atMs: 480_000, label: '-2m' },
    { atMs: 540_000, label: '-1m' },
    { atMs: 600_000, label: 'now' },
  ]);
});

test('a line moves to its first point, draws through the rest, and starts again after a gap', () => {
  const x = (atMs: number) => atMs / 10;
  const y = (value: number) => 100 - value;
  assert.is(
    linePath(
      [
        { atMs: 0, value: 0 },
        { atMs: 10, value: 10 },
        { atMs: 20, value: null },
        { atMs: 30, value: 40.04 },
        { atMs: 40, value: 50 },
      ],
      x,
      y,
    ),
    'M0 100 L1 90 M3 60 L4 50',
  );
  assert.is(linePath([], x, y), '');
  assert.is(linePath([{ atMs: 0, value: null }], x, y), '');
});

test('coordinates are rounded to a tenth, and never written -0', () => {
  assert.is(
    linePath(
      [
        { atMs: 0, value: 0.04 },
        { atMs: 1, value: 1 / 3 },
      ],
      (t) => t - 0.01,
      (v) => -v,
    ),
    'M0 0 L1 -0.3',
  );
});

test('each node keeps its colour by its place among the sorted ids, whatever order they come in', () => {
  const colors = seriesColors(['c', 'a', 'b']);
  assert.equal(
    [...colors],
    [
      ['a', PALETTE[0]],
      ['b', PALETTE[1]],
      ['c', PALETTE[2]],
    ],
  );
  const many = seriesColors(Array.from({ length: PALETTE.length + 1 }, (_, i) => `n${String(i).padStart(2, '0')}`));
  assert.is(many.get('n10'), PALETTE[0]);
});

test.run();

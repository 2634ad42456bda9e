import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DashboardNode, DashboardSnapshot } from '../../../protocol/api/dashboard.js';
import { appendSample, HISTORY_WINDOW_MS, nodeSeries, sampleOf, type UsageSample } from '../../../ui/history.js';

const node = (id: string, cpuMillis?: number): DashboardNode => ({
  id,
  state: 'alive',
  labels: {},
  capacity: { cpuMillis: 4000, memoryBytes: 2 ** 33 },
  ...(cpuMillis === undefined ? {} : { usage: { cpuMillis, memoryBytes: cpuMillis * 2 ** 20, replicas: 1 } }),
  admitted: true,
});

const snapshot = (atMs: number, nodes: DashboardNode[]): DashboardSnapshot => ({ node: 'a', atMs, clusterId: 'c', nodes, workloads: [], rollouts: [], events: [] });

test('a sample keeps the usage of the nodes that reported one', () => {
  const sample = sampleOf(snapshot(1_000, [node('a', 100), node('b')]));
  assert.is(sample.atMs, 1_000);
  assert.equal([...sample.nodes], [['a', { cpuMillis: 100, memoryBytes: 100 * 2 ** 20 }]]);
});

test('the history keeps five minutes back from the newest snapshot, oldest first', () => {
  let samples: UsageSample[] = [];
  for (let atMs = 0; atMs <= 10 * 60_000; atMs += 2_000) samples = appendSample(samples, snapshot(atMs, [node('a', 1)]));
  assert.is(samples[0]?.atMs, 10 * 60_000 - HISTORY_WINDOW_MS);
  assert.is(samples[samples.length - 1]?.atMs, 10 * 60_000);
  assert.is(samples.length, HISTORY_WINDOW_MS / 2_000 + 1);
});

test('a snapshot from before the newest (a clock stepped back) drops the samples after it', () => {
  let samples: UsageSample[] = [];
  for (const atMs of [1_000, 2_000, 3_000, 1_500]) samples = appendSample(samples, snapshot(atMs, [node('a', 1)]));
  assert.equal(
    samples.map((s) => s.atMs),
    [1_000, 1_500],
  );
});

test('the same snapshot twice is kept once', () => {
  const once = appendSample([], snapshot(1_000, [node('a', 1)]));
  assert.is(appendSample(once, snapshot(1_000, [node('a', 2)])).length, 1);
});

test('appending leaves the previous history as it was', () => {
  const before = appendSample([], snapshot(1_000, [node('a', 1)]));
  appendSample(before, snapshot(HISTORY_WINDOW_MS * 2, [node('a', 1)]));
  assert.is(before.length, 1);
});

test('each node seen has a series sorted by id, with a gap where it did not report', () => {
  let samples: UsageSample[] = [];
  samples = appendSample(samples, snapshot(1_000, [node('b', 10), node('a', 5)]));
  samples = appendSample(samples, snapshot(2_000, [node('b', 20)]));
  samples = appendSample(samples, snapshot(3_000, [node('b', 30), node('a', 7)]));
  assert.equal(
    nodeSeries(samples, (u) => u.cpuMillis),
    [
      {
        node: 'a',
        points: [
          { atMs: 1_000, value: 5 },
          { atMs: 2_000, value: null },
          { atMs: 3_000, value: 7 },
        ],
      },
      {
        node: 'b',
        points: [
          { atMs: 1_000, value: 10 },
          { atMs: 2_000, value: 20 },
          { atMs: 3_000, value: 30 },
        ],
      },
    ],
  );
  assert.equal(
    nodeSeries([], (u) => u.cpuMillis),
    [],
  );
});

test.run();

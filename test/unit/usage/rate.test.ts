import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuMillicores } from '../../../protocol/usage/rate.js';
import { UsageRates, type ReplicaUsageSample } from '../../../protocol/usage/usage-rates.js';

const sample = (id: string, cpuSeconds: number, atMs: number, over: Partial<ReplicaUsageSample> = {}): ReplicaUsageSample => ({
  id,
  workload: 'Workload/default/web',
  slot: 0,
  epoch: 1,
  cpuNanos: cpuSeconds * 1e9,
  memoryBytes: 64 * 2 ** 20,
  atMs,
  ...over,
});

test('a core busy the whole interval is 1000 millicores, a quarter of one 250', () => {
  assert.is(cpuMillicores({ cpuNanos: 0, atMs: 1_000 }, { cpuNanos: 5e9, atMs: 6_000 }), 1000);
  assert.is(cpuMillicores({ cpuNanos: 10e9, atMs: 0 }, { cpuNanos: 11.25e9, atMs: 5_000 }), 250);
  assert.is(cpuMillicores({ cpuNanos: 0, atMs: 0 }, { cpuNanos: 2e9, atMs: 1_000 }), 2000, 'two cores');
  assert.is(cpuMillicores({ cpuNanos: 7, atMs: 0 }, { cpuNanos: 7, atMs: 5_000 }), 0, 'idle');
});

test('a rate is rounded to whole millicores', () => {
  assert.is(cpuMillicores({ cpuNanos: 0, atMs: 0 }, { cpuNanos: 1_400_000, atMs: 1_000 }), 1);
  assert.is(cpuMillicores({ cpuNanos: 0, atMs: 0 }, { cpuNanos: 1_600_000, atMs: 1_000 }), 2);
});

test('no rate when time stood still or went back, or the counter went back (a restart in place)', () => {
  assert.is(cpuMillicores({ cpuNanos: 0, atMs: 5_000 }, { cpuNanos: 1e9, atMs: 5_000 }), undefined);
  assert.is(cpuMillicores({ cpuNanos: 0, atMs: 5_000 }, { cpuNanos: 1e9, atMs: 4_000 }), undefined);
  assert.is(cpuMillicores({ cpuNanos: 9e9, atMs: 0 }, { cpuNanos: 1e9, atMs: 5_000 }), undefined);
  assert.is(cpuMillicores({ cpuNanos: Number.NaN, atMs: 0 }, { cpuNanos: 1e9, atMs: 5_000 }), undefined);
});

test('a replica has usage from its second sample on, and one no longer sampled is forgotten', () => {
  const rates = new UsageRates();
  assert.equal(rates.next([sample('a', 0, 0)]), [], 'first sample: no rate yet');
  assert.equal(rates.next([sample('a', 2.5, 5_000), sample('b', 1, 5_000, { slot: 1 })]), [
    { workload: 'Workload/default/web', slot: 0, epoch: 1, cpuMillis: 500, memoryBytes: 64 * 2 ** 20 },
  ]);
  assert.equal(
    rates.next([sample('b', 2, 10_000, { slot: 1 })]).map((r) => [r.slot, r.cpuMillis]),
    [[1, 200]],
  );
  assert.equal(rates.next([sample('a', 100, 15_000)]), [], 'a was not sampled last round: it starts over');
});

test("a round's usage lists the heaviest CPU first, then by workload and slot", () => {
  const rates = new UsageRates();
  const round = (atMs: number, cpu: number[]) =>
    cpu.map((c, slot) => sample(`r${slot}`, (c * atMs) / 1000, atMs, { slot, workload: slot === 2 ? 'Workload/a/db' : 'Workload/b/web' }));
  rates.next(round(1_000, [0.1, 0.5, 0.1, 0.1]));
  assert.equal(
    rates.next(round(2_000, [0.1, 0.5, 0.1, 0.1])).map((r) => `${r.workload}#${r.slot}:${r.cpuMillis}`),
    ['Workload/b/web#1:500', 'Workload/a/db#2:100', 'Workload/b/web#0:100', 'Workload/b/web#3:100'],
  );
});

test('an odd memory reading is a whole number of bytes, never one a receiver would refuse', () => {
  const rates = new UsageRates();
  rates.next([sample('a', 0, 0), sample('b', 0, 0, { slot: 1 }), sample('c', 0, 0, { slot: 2 })]);
  const usage = rates.next([
    sample('a', 0, 1_000, { memoryBytes: Number.NaN }),
    sample('b', 0, 1_000, { slot: 1, memoryBytes: -5 }),
    sample('c', 0, 1_000, { slot: 2, memoryBytes: 1.6 }),
  ]);
  assert.equal(
    usage.map((r) => r.memoryBytes),
    [0, 0, 2],
  );
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageBook } from '../../../protocol/usage/usage-book.js';
import type { ReplicaUsage, UsageSummary } from '../../../protocol/usage/usage-codec.js';

const TTL = 20_000;
const SKEW = 30_000;
const book = (): UsageBook => new UsageBook({ ttlMs: TTL, maxSkewMs: SKEW });

const web = (slot: number, cpuMillis: number, memoryBytes: number, epoch = 1): ReplicaUsage => ({ workload: 'Workload/default/web', slot, epoch, cpuMillis, memoryBytes });
const db = (slot: number, cpuMillis: number, memoryBytes: number): ReplicaUsage => ({ workload: 'Workload/prod/db', slot, epoch: 3, cpuMillis, memoryBytes });
const summary = (node: string, atMs: number, replicas: ReplicaUsage[]): UsageSummary => ({ node, atMs, replicas });

test("each workload's replicas across nodes, by slot, with its totals; each node's totals", () => {
  const b = book();
  assert.ok(b.receive(summary('node-b', 1_000, [web(1, 300, 200), db(0, 900, 4_000)]), 'node-b', 1_000).ok);
  assert.ok(b.receive(summary('node-a', 1_200, [web(0, 100, 100), web(2, 50, 150)]), 'node-a', 1_500).ok);
  assert.equal(b.workloads(2_000), [
    {
      workload: 'Workload/default/web',
      replicas: [
        { node: 'node-a', slot: 0, epoch: 1, cpuMillis: 100, memoryBytes: 100 },
        { node: 'node-b', slot: 1, epoch: 1, cpuMillis: 300, memoryBytes: 200 },
        { node: 'node-a', slot: 2, epoch: 1, cpuMillis: 50, memoryBytes: 150 },
      ],
      cpuMillis: 450,
      memoryBytes: 450,
    },
    { workload: 'Workload/prod/db', replicas: [{ node: 'node-b', slot: 0, epoch: 3, cpuMillis: 900, memoryBytes: 4_000 }], cpuMillis: 900, memoryBytes: 4_000 },
  ]);
  assert.equal(b.nodes(2_000), [
    { node: 'node-a', atMs: 1_200, cpuMillis: 150, memoryBytes: 250, replicas: 2 },
    { node: 'node-b', atMs: 1_000, cpuMillis: 1_200, memoryBytes: 4_200, replicas: 2 },
  ]);
  assert.equal(b.workload('Workload/prod/db', 2_000)?.cpuMillis, 900);
  assert.is(b.workload('Workload/prod/none', 2_000), undefined);
});

test('a slot held by two epochs at once (a move under way) shows both', () => {
  const b = book();
  b.receive(summary('node-a', 1_000, [web(0, 10, 10, 1)]), 'node-a', 1_000);
  b.receive(summary('node-b', 1_000, [web(0, 20, 20, 2)]), 'node-b', 1_000);
  assert.equal(
    b.workloads(1_000)[0]?.replicas.map((r) => `${r.node}:${r.epoch}`),
    ['node-a:1', 'node-b:2'],
  );
});

test("a node's newer summary replaces its older one; an older one arriving late is refused as outdated", () => {
  const b = book();
  b.receive(summary('node-a', 5_000, [web(0, 100, 100)]), 'node-a', 5_000);
  assert.ok(b.receive(summary('node-a', 10_000, [web(0, 700, 100)]), 'node-a', 10_000).ok);
  assert.equal(b.receive(summary('node-a', 5_000, [web(0, 100, 100)]), 'node-a', 10_100), { ok: false, error: 'outdated' });
  assert.equal(b.receive(summary('node-a', 10_000, [web(0, 100, 100)]), 'node-a', 10_100), { ok: false, error: 'outdated' }, 'the same stamp again');
  assert.is(b.nodes(10_100)[0]?.cpuMillis, 700);
});

test('a summary is forgotten once the TTL has passed since it arrived', () => {
  const b = book();
  b.receive(summary('node-a', 1_000, [web(0, 100, 100)]), 'node-a', 1_000);
  b.receive(summary('node-b', 9_000, [web(1, 100, 100)]), 'node-b', 9_000);
  assert.is(b.nodes(1_000 + TTL).length, 2, 'at the TTL exactly: still held');
  assert.equal(
    b.nodes(1_001 + TTL).map((n) => n.node),
    ['node-b'],
  );
  assert.equal(
    b.workloads(1_001 + TTL)[0]?.replicas.map((r) => r.node),
    ['node-b'],
  );
  assert.equal(b.nodes(9_001 + TTL), []);
  assert.equal(b.workloads(9_001 + TTL), []);
});

test('a summary that names no replica lives its own TTL; one that names some, the TTL', () => {
  const b = new UsageBook({ ttlMs: TTL, emptyTtlMs: 6 * TTL, maxSkewMs: SKEW });
  b.receive(summary('node-a', 1_000, [web(0, 100, 100)]), 'node-a', 1_000);
  b.receive(summary('node-b', 1_000, []), 'node-b', 1_000);
  assert.equal(
    b.nodes(1_001 + TTL).map((n) => n.node),
    ['node-b'],
  );
  const late = b.receive(summary('node-b', 999, []), 'node-b', 1_001 + TTL);
  assert.ok(!late.ok && late.error === 'outdated', 'an older one arriving late is outdated while the empty one lives');
  assert.is(b.nodes(1_000 + 6 * TTL).length, 1);
  assert.equal(b.nodes(1_001 + 6 * TTL), []);
});

test('once its last summary expired, a node is taken again even with a stamp its old one passed (its clock stepped back)', () => {
  const b = book();
  b.receive(summary('node-a', 50_000, [web(0, 100, 100)]), 'node-a', 40_000);
  assert.equal(b.receive(summary('node-a', 45_000, []), 'node-a', 45_000), { ok: false, error: 'outdated' });
  assert.ok(b.receive(summary('node-a', 61_000, []), 'node-a', 61_000).ok);
});

test("a sender's clock off by less than the skew bound, either way, is believed; its summary lives the full TTL", () => {
  const b = book();
  assert.ok(b.receive(summary('ahead', 100_000 + SKEW, []), 'ahead', 100_000).ok);
  assert.ok(b.receive(summary('behind', 100_000 - TTL - SKEW, []), 'behind', 100_000).ok);
  assert.equal(
    b.nodes(100_000 + TTL).map((n) => n.node),
    ['ahead', 'behind'],
  );
});

test('a summary stamped beyond the skew bound in the future is refused, and one older than TTL plus skew as stale', () => {
  const b = book();
  assert.equal(b.receive(summary('node-a', 100_001 + SKEW, []), 'node-a', 100_000), { ok: false, error: 'future' });
  assert.equal(b.receive(summary('node-a', 99_999 - TTL - SKEW, []), 'node-a', 100_000), { ok: false, error: 'stale' });
  assert.equal(b.nodes(100_000), []);
});

test('a summary that speaks for another node than its sender is refused, and the node it names keeps its own', () => {
  const b = book();
  b.receive(summary('node-a', 1_000, [web(0, 100, 100)]), 'node-a', 1_000);
  assert.equal(b.receive(summary('node-a', 2_000, [web(0, 99_999, 1)]), 'node-m', 2_000), { ok: false, error: 'not-sender' });
  assert.equal(b.nodes(2_000), [{ node: 'node-a', atMs: 1_000, cpuMillis: 100, memoryBytes: 100, replicas: 1 }]);
});

test('an empty book answers empty lists', () => {
  assert.equal(book().nodes(0), []);
  assert.equal(book().workloads(0), []);
});

test.run();

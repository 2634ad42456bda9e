import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Autoscaler, type AutoscaledWorkload, type ReplicaReading } from '../../../protocol/autoscale/autoscaler.js';
import { decidersOf } from '../../../protocol/autoscale/decider.js';
import { autoscaleSchema } from '../../../protocol/manifests/workload.js';

const T0 = 1_700_000_000_000;
const S = 1_000;
const MI = 2 ** 20;
const KEY = 'Workload/default/web';
const NODES = ['12D3KooWNodeAlpha', '12D3KooWNodeBravo', '12D3KooWNodeCharlie'];
/** The nodes in the order they decide for KEY: the first decides while it lives. */
const [FIRST, SECOND, THIRD] = decidersOf(KEY, NODES) as [string, string, string];
const REQUESTS = { cpuMillis: 200, memoryBytes: 256 * MI };

const cpuAt50 = [{ cpu: { targetPercent: 50 } }];

function workload(input: { current: number; readings: ReplicaReading[]; autoscale?: Record<string, unknown> }): AutoscaledWorkload {
  const spec = autoscaleSchema.parse({ maxReplicas: 10, metrics: cpuAt50, ...input.autoscale });
  return {
    key: KEY,
    policy: { spec, requests: REQUESTS },
    bounds: { min: spec.minReplicas, max: spec.maxReplicas },
    current: input.current,
    readings: input.readings,
    decision: undefined,
  };
}

/** One reading a replica, slot by slot: each replica's cpu in millicores. */
const cpu = (...millis: number[]): ReplicaReading[] => millis.map((cpuMillis, slot) => ({ slot, cpuMillis, memoryBytes: 0 }));

test('only the decider gets a write: the count, itself, and the metric that drove it, in percent of the request', () => {
  // Two replicas each at 200m of a 200m request (100%), aimed at 50%: twice the replicas.
  const w = workload({ current: 2, readings: cpu(200, 200) });
  const rounds = NODES.map((node) => ({ node, round: new Autoscaler().round(T0, node, NODES, [w]) }));
  for (const { node, round } of rounds) {
    assert.equal(round.statuses, [
      {
        workload: KEY,
        min: 1,
        max: 10,
        current: 2,
        recommended: 4,
        desired: 4,
        metrics: [{ metric: 'cpu', value: 100, target: 50, measured: 2 }],
        decider: FIRST,
        decision: undefined,
      },
    ]);
    if (node === FIRST) {
      assert.equal(round.writes, [{ workload: KEY, from: 2, decision: { replicas: 4, decider: FIRST, metric: 'cpu', value: 100, target: 50, atMs: T0 } }]);
    } else assert.equal(round.writes, [], node);
  }
});

test('a node that is not among the live members it is given decides nothing', () => {
  const w = workload({ current: 2, readings: cpu(200, 200) });
  assert.equal(new Autoscaler().round(T0, '12D3KooWOutsider', NODES, [w]).writes, []);
});

test('the decider does not write the same count again within 30 s; after 30 s, or for another count, it does', () => {
  const a = new Autoscaler();
  const w = workload({ current: 2, readings: cpu(200, 200) });
  assert.is(a.round(T0, FIRST, NODES, [w]).writes.length, 1);
  // Its write is still on its way: the document shows 2 yet.
  assert.equal(a.round(T0 + 10 * S, FIRST, NODES, [w]).writes, []);
  assert.equal(a.round(T0 + 30 * S - 1, FIRST, NODES, [w]).writes, []);
  assert.equal(
    a.round(T0 + 30 * S, FIRST, NODES, [w]).writes.map((x) => [x.decision.replicas, x.decision.atMs]),
    [[4, T0 + 30 * S]],
  );
  const heavier = workload({ current: 2, readings: cpu(300, 300) });
  assert.equal(
    a.round(T0 + 31 * S, FIRST, NODES, [heavier]).writes.map((x) => [x.decision.replicas, x.decision.value]),
    [[6, 150]],
  );
});

test('nothing is written while the count is where the load wants it', () => {
  const a = new Autoscaler();
  const w = workload({ current: 2, readings: cpu(100, 100) });
  const round = a.round(T0, FIRST, NODES, [w]);
  assert.equal(round.writes, []);
  assert.equal(round.statuses[0]?.desired, 2);
  assert.equal(round.statuses[0]?.metrics, [{ metric: 'cpu', value: 50, target: 50, measured: 2 }]);
});

test('when the decider leaves, the next member, which kept the windows too, scales down in its next round', () => {
  const autoscale = { behavior: { scaleDownWindowSeconds: 60 } };
  // Four replicas at 20m of 200m (10%), aimed at 50%: one replica would do.
  const quiet = workload({ current: 4, readings: cpu(20, 20, 20, 20), autoscale });
  const autoscalers = new Map(NODES.map((n) => [n, new Autoscaler()]));
  for (let t = 0; t < 60; t += 10) {
    for (const node of NODES) {
      const round = autoscalers.get(node)!.round(T0 + t * S, node, NODES, [quiet]);
      assert.equal(round.writes, [], `${node} at ${t} s: the down window is not past`);
      assert.equal([round.statuses[0]?.recommended, round.statuses[0]?.desired], [1, 4]);
    }
  }
  const live = [SECOND, THIRD];
  const next = autoscalers.get(SECOND)!.round(T0 + 60 * S, SECOND, live, [quiet]);
  assert.equal(next.writes, [{ workload: KEY, from: 4, decision: { replicas: 1, decider: SECOND, metric: 'cpu', value: 10, target: 50, atMs: T0 + 60 * S } }]);
  assert.is(next.statuses[0]?.decider, SECOND);
  assert.equal(autoscalers.get(THIRD)!.round(T0 + 60 * S, THIRD, live, [quiet]).writes, []);
  // A node that had not watched the window would wait a whole one first.
  assert.equal(new Autoscaler().round(T0 + 60 * S, SECOND, live, [quiet]).writes, []);
});

test('a workload missing from a round is forgotten: back again, its down window starts over', () => {
  const autoscale = { behavior: { scaleDownWindowSeconds: 60 } };
  const quiet = workload({ current: 4, readings: cpu(20, 20, 20, 20), autoscale });
  const a = new Autoscaler();
  for (let t = 0; t < 60; t += 10) a.round(T0 + t * S, FIRST, NODES, [quiet]);
  a.round(T0 + 55 * S, FIRST, NODES, []);
  for (let t = 60; t < 120; t += 10) assert.equal(a.round(T0 + t * S, FIRST, NODES, [quiet]).writes, [], `at ${t} s`);
  assert.equal(
    a.round(T0 + 120 * S, FIRST, NODES, [quiet]).writes.map((x) => x.decision.replicas),
    [1],
  );
});

test('several metrics: the one asking for the most replicas sets the count and is named in the decision', () => {
  const metrics = [{ cpu: { targetPercent: 50 } }, { memory: { targetPercent: 50 } }, { custom: { name: 'queue_depth', target: 10, port: 9100 } }];
  // cpu on target (asks 2), memory at 75% for 50% (asks 3), the queue at 30 a replica for 10 (asks 6).
  const readings: ReplicaReading[] = [0, 1].map((slot) => ({ slot, cpuMillis: 100, memoryBytes: 192 * MI, custom: { queue_depth: 30 } }));
  const round = new Autoscaler().round(T0, FIRST, NODES, [workload({ current: 2, readings, autoscale: { metrics } })]);
  assert.equal(round.statuses[0]?.metrics, [
    { metric: 'cpu', value: 50, target: 50, measured: 2 },
    { metric: 'memory', value: 75, target: 50, measured: 2 },
    { metric: 'queue_depth', value: 30, target: 10, measured: 2 },
  ]);
  assert.equal(round.writes, [{ workload: KEY, from: 2, decision: { replicas: 6, decider: FIRST, metric: 'queue_depth', value: 30, target: 10, atMs: T0 } }]);

  const memoryLeads: ReplicaReading[] = [0, 1].map((slot) => ({ slot, cpuMillis: 100, memoryBytes: 192 * MI, custom: { queue_depth: 10 } }));
  const second = new Autoscaler().round(T0, FIRST, NODES, [workload({ current: 2, readings: memoryLeads, autoscale: { metrics } })]);
  assert.equal(second.writes, [{ workload: KEY, from: 2, decision: { replicas: 3, decider: FIRST, metric: 'memory', value: 75, target: 50, atMs: T0 } }]);
});

test('a metric that no replica reported: the others may scale up, as Kubernetes lets them, but never down', () => {
  const metrics = [{ cpu: { targetPercent: 50 } }, { custom: { name: 'queue_depth', target: 10, port: 9100 } }];
  const round = new Autoscaler().round(T0, FIRST, NODES, [workload({ current: 2, readings: cpu(400, 400), autoscale: { metrics } })]);
  assert.equal(round.writes, [{ workload: KEY, from: 2, decision: { replicas: 8, decider: FIRST, metric: 'cpu', value: 200, target: 50, atMs: T0 } }]);
  assert.equal(round.statuses[0]?.metrics, [
    { metric: 'cpu', value: 200, target: 50, measured: 2 },
    { metric: 'queue_depth', value: undefined, target: 10, measured: 0 },
  ]);
  const idle = new Autoscaler().round(T0, FIRST, NODES, [workload({ current: 4, readings: cpu(10, 10, 10, 10), autoscale: { metrics, behavior: { scaleDownWindowSeconds: 0 } } })]);
  assert.equal(idle.writes, []);
  assert.equal([idle.statuses[0]?.recommended, idle.statuses[0]?.desired], [undefined, 4]);
});

test('the count is clamped to the bounds: never past maxReplicas, never below minReplicas', () => {
  // 2 replicas at 400% of their request for 50%: 16 asked, 5 allowed.
  const hot = workload({ current: 2, readings: cpu(800, 800), autoscale: { maxReplicas: 5 } });
  const up = new Autoscaler().round(T0, FIRST, NODES, [hot]);
  assert.equal([up.statuses[0]?.recommended, up.statuses[0]?.desired], [16, 5]);
  assert.equal(
    up.writes.map((x) => x.decision.replicas),
    [5],
  );
  const atMax = new Autoscaler().round(T0, FIRST, NODES, [workload({ current: 5, readings: cpu(800, 800, 800, 800, 800), autoscale: { maxReplicas: 5 } })]);
  assert.equal(atMax.writes, [], 'already at the bound');

  const cold = workload({ current: 6, readings: cpu(0, 0, 0, 0, 0, 0), autoscale: { minReplicas: 3, behavior: { scaleDownWindowSeconds: 0 } } });
  const down = new Autoscaler().round(T0, FIRST, NODES, [cold]);
  assert.equal([down.statuses[0]?.recommended, down.statuses[0]?.desired], [0, 3]);
  assert.equal(
    down.writes.map((x) => [x.from, x.decision.replicas, x.decision.value]),
    [[6, 3, 0]],
  );
});

test.run();

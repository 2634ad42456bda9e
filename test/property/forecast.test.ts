import { schedulerConfig } from '../../protocol/scheduler/config.js';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auctionId } from '../../protocol/auction/slot.js';
import { forecast } from '../../protocol/scheduler/forecast.js';
import type { OpenAuction, PlacedSlot, Plan } from '../../protocol/scheduler/plan.js';
import type { ClusterView, NodeInfo, WorkloadInfo } from '../../protocol/scheduler/view.js';

/** No status here carries a time: the moment a failed-here decline is judged at does not matter. */
const AT = { nowMs: 0, declineMs: schedulerConfig.local().failedHereDeclineMs };

const GiB = 1024 ** 3;

const nodeInfo = (i: number, cpuMillis: number): NodeInfo => ({
  id: `n${i}`,
  state: 'alive',
  labels: {},
  capacity: { cpuMillis, memoryBytes: 8 * GiB },
  stateChangedAtMs: 0,
  cordoned: false,
  draining: false,
});

const workloadInfo = (i: number, cpuMillis: number, policy: 'spread' | 'binpack'): WorkloadInfo => {
  const key = `Workload/default/w${i}`;
  return {
    key,
    replicas: 4,
    demand: { workload: key, resources: { cpuMillis, memoryBytes: GiB / 2 }, hostPorts: [], constraints: [], maxPerNode: undefined, spreadBy: undefined },
    policy,
    partitionPolicy: 'available',
  };
};

/** A cluster of a few nodes, some slots placed, some open: sizes drawn from a few values, so ties are common. */
const cluster = fc
  .record({
    nodes: fc.array(fc.constantFrom(2000, 4000, 8000), { minLength: 1, maxLength: 8 }),
    workloads: fc.array(fc.record({ cpu: fc.constantFrom(250, 500, 1000), policy: fc.constantFrom('spread' as const, 'binpack' as const) }), { minLength: 1, maxLength: 6 }),
    placedOn: fc.array(fc.nat(), { maxLength: 24 }),
  })
  .map(({ nodes, workloads, placedOn }) => {
    const infos = nodes.map((cpu, i) => nodeInfo(i, cpu));
    const infosById = new Map(infos.map((n) => [n.id, n]));
    const ws = workloads.map((w, i) => workloadInfo(i, w.cpu, w.policy));
    const placed: PlacedSlot[] = [];
    const open: OpenAuction[] = [];
    ws.forEach((w, wi) => {
      for (let index = 0; index < w.replicas; index++) {
        const on = placedOn[wi * w.replicas + index];
        if (on !== undefined && on % 3 === 0)
          placed.push({ workload: w, index, assignment: { epoch: 1, node: `n${on % infos.length}`, score: 1, tiebreak: '0' }, unreachable: false });
        else open.push({ id: auctionId({ workload: w.key, index }, 1), workload: w, index, epoch: 1, because: 'new', unschedulableRun: 0 });
      }
    });
    return { infosById, placed, open };
  });

const viewOf = (nodes: ReadonlyMap<string, NodeInfo>): ClusterView => ({ nodes, workloads: [], claims: new Map(), statuses: new Map() });
const planOf = (placed: PlacedSlot[], open: OpenAuction[]): Plan => ({ placed, open, waiting: [], hasMajority: true, jobs: new Map() });

test('every node forecasts the same, whatever order its view lists nodes, placements and auctions in', () => {
  fc.assert(
    fc.property(
      cluster.chain((c) =>
        fc.tuple(
          fc.constant(c),
          fc.shuffledSubarray([...c.infosById.values()], { minLength: c.infosById.size, maxLength: c.infosById.size }),
          fc.shuffledSubarray(c.placed, { minLength: c.placed.length, maxLength: c.placed.length }),
          fc.shuffledSubarray(c.open, { minLength: c.open.length, maxLength: c.open.length }),
        ),
      ),
      ([c, nodes, placed, open]) => {
        const reference = forecast(viewOf(c.infosById), planOf(c.placed, c.open), AT);
        const other = forecast(viewOf(new Map(nodes.map((n) => [n.id, n]))), planOf(placed, open), AT);
        assert.equal([...other].sort(), [...reference].sort());
      },
    ),
    { numRuns: 300 },
  );
});

test('the forecast never gives a node more than it has free', () => {
  fc.assert(
    fc.property(cluster, (c) => {
      const used = new Map<string, number>();
      for (const p of c.placed) used.set(p.assignment.node, (used.get(p.assignment.node) ?? 0) + p.workload.demand.resources.cpuMillis);
      const result = forecast(viewOf(c.infosById), planOf(c.placed, c.open), AT);
      for (const a of c.open) {
        const on = result.get(a.id);
        if (on !== undefined) used.set(on, (used.get(on) ?? 0) + a.workload.demand.resources.cpuMillis);
      }
      for (const [id, cpu] of used) {
        const placedCpu = c.placed.filter((p) => p.assignment.node === id).reduce((s, p) => s + p.workload.demand.resources.cpuMillis, 0);
        const capacity = (c.infosById.get(id) as NodeInfo).capacity.cpuMillis;
        assert.ok(cpu <= Math.max(capacity, placedCpu), `${id}: ${cpu}m on ${capacity}m`);
      }
    }),
    { numRuns: 300 },
  );
});

test.run();

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
const IMAGES = ['1', '2', '3'].map((c) => `sha256:${c.repeat(64)}`);

const nodeInfo = (id: string, cpuMillis: number, images: readonly string[] | undefined): NodeInfo => ({
  id,
  state: 'alive',
  labels: {},
  capacity: { cpuMillis, memoryBytes: 8 * GiB },
  stateChangedAtMs: 0,
  cordoned: false,
  draining: false,
  images: images === undefined ? undefined : new Set(images),
});

const workloadInfo = (i: number, cpuMillis: number, policy: 'spread' | 'binpack', image: string | undefined): WorkloadInfo => {
  const key = `Workload/default/w${i}`;
  return {
    key,
    replicas: 4,
    demand: { workload: key, resources: { cpuMillis, memoryBytes: GiB / 2 }, hostPorts: [], constraints: [], maxPerNode: undefined, spreadBy: undefined, image },
    policy,
    partitionPolicy: 'available',
  };
};

const viewOf = (nodes: readonly NodeInfo[]): ClusterView => ({ nodes: new Map(nodes.map((n) => [n.id, n])), workloads: [], claims: new Map(), statuses: new Map() });
const planOf = (placed: PlacedSlot[], open: OpenAuction[]): Plan => ({ placed, open, waiting: [], hasMajority: true, jobs: new Map() });
const images = fc.option(fc.subarray(IMAGES), { nil: undefined });

/** Up to 24 nodes (more than the forecast scores at once), holding some of three images; workloads naming one or none. */
const cluster = fc
  .record({
    nodes: fc.array(fc.record({ cpu: fc.constantFrom(2000, 4000, 8000), images }), { minLength: 1, maxLength: 24 }),
    workloads: fc.array(
      fc.record({
        cpu: fc.constantFrom(250, 500, 1000),
        policy: fc.constantFrom('spread' as const, 'binpack' as const),
        image: fc.option(fc.constantFrom(...IMAGES), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    placedOn: fc.array(fc.nat(), { maxLength: 24 }),
  })
  .map(({ nodes, workloads, placedOn }) => {
    const infos = nodes.map((n, i) => nodeInfo(`n${i}`, n.cpu, n.images));
    const ws = workloads.map((w, i) => workloadInfo(i, w.cpu, w.policy, w.image));
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
    return { infos, placed, open };
  });

test('with images held and named, every node forecasts the same, whatever order its view lists nodes, placements and auctions in', () => {
  fc.assert(
    fc.property(
      cluster.chain((c) =>
        fc.tuple(
          fc.constant(c),
          fc.shuffledSubarray(c.infos, { minLength: c.infos.length, maxLength: c.infos.length }),
          fc.shuffledSubarray(c.placed, { minLength: c.placed.length, maxLength: c.placed.length }),
          fc.shuffledSubarray(c.open, { minLength: c.open.length, maxLength: c.open.length }),
        ),
      ),
      ([c, nodes, placed, open]) => {
        const reference = forecast(viewOf(c.infos), planOf(c.placed, c.open), AT);
        const other = forecast(viewOf(nodes), planOf(placed, open), AT);
        assert.equal([...other].sort(), [...reference].sort());
      },
    ),
    { numRuns: 300 },
  );
});

test('with images held and named, the forecast never gives a node more than it has free', () => {
  fc.assert(
    fc.property(cluster, (c) => {
      const used = new Map<string, number>();
      for (const p of c.placed) used.set(p.assignment.node, (used.get(p.assignment.node) ?? 0) + p.workload.demand.resources.cpuMillis);
      const result = forecast(viewOf(c.infos), planOf(c.placed, c.open), AT);
      for (const a of c.open) {
        const on = result.get(a.id);
        if (on !== undefined) used.set(on, (used.get(on) ?? 0) + a.workload.demand.resources.cpuMillis);
      }
      for (const [id, cpu] of used) {
        const placedCpu = c.placed.filter((p) => p.assignment.node === id).reduce((s, p) => s + p.workload.demand.resources.cpuMillis, 0);
        const capacity = c.infos.find((n) => n.id === id)?.capacity.cpuMillis ?? 0;
        assert.ok(cpu <= Math.max(capacity, placedCpu), `${id}: ${cpu}m on ${capacity}m`);
      }
    }),
    { numRuns: 300 },
  );
});

test('images the workloads do not name change nothing: the forecast is the one without any', () => {
  fc.assert(
    fc.property(cluster, (c) => {
      const unnamed = (w: WorkloadInfo): WorkloadInfo => ({ ...w, demand: { ...w.demand, image: undefined } });
      const open = c.open.map((a) => ({ ...a, workload: unnamed(a.workload) }));
      const bare = c.infos.map((n) => ({ ...n, images: undefined }));
      assert.equal([...forecast(viewOf(c.infos), planOf(c.placed, open), AT)].sort(), [...forecast(viewOf(bare), planOf(c.placed, open), AT)].sort());
    }),
    { numRuns: 200 },
  );
});

test('two empty nodes compete for a slot whose image only one holds: the forecast names the holder', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/), { minLength: 2, maxLength: 2 }),
      fc.constantFrom('spread' as const, 'binpack' as const),
      fc.constantFrom(250, 500, 1000, 4000),
      fc.nat({ max: 50 }),
      fc.subarray(IMAGES.slice(1)),
      ([holder, other], policy, cpu, index, unrelated) => {
        const w = workloadInfo(0, cpu, policy, IMAGES[0]);
        const auction: OpenAuction = { id: auctionId({ workload: w.key, index }, 1), workload: w, index, epoch: 1, because: 'new', unschedulableRun: 0 };
        const nodes = [nodeInfo(other as string, 4000, unrelated), nodeInfo(holder as string, 4000, [...unrelated, IMAGES[0] as string].sort())];
        assert.is(forecast(viewOf(nodes), planOf([], [auction]), AT).get(auction.id), holder);
      },
    ),
    { numRuns: 300 },
  );
});

test.run();

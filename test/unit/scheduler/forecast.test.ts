import { schedulerConfig } from '../../../protocol/scheduler/config.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { auctionId } from '../../../protocol/auction/slot.js';
import { forecast } from '../../../protocol/scheduler/forecast.js';
import type { OpenAuction, PlacedSlot, Plan } from '../../../protocol/scheduler/plan.js';
import type { ClusterView, NodeInfo, SlotStatus, WorkloadInfo } from '../../../protocol/scheduler/view.js';
import { GiB, node, workload } from './harness.js';

/** No status here carries a time: the moment a failed-here decline is judged at does not matter. */
const AT = { nowMs: 0, declineMs: schedulerConfig.local().failedHereDeclineMs };

const placed = (w: WorkloadInfo, index: number, on: string): PlacedSlot => ({
  workload: w,
  index,
  assignment: { epoch: 1, node: on, score: 1, tiebreak: '0' },
  unreachable: false,
});
const open = (w: WorkloadInfo, index: number): OpenAuction => ({ id: auctionId({ workload: w.key, index }, 1), workload: w, index, epoch: 1, because: 'new', unschedulableRun: 0 });
const plan = (p: Partial<Plan>): Plan => ({ placed: [], open: [], waiting: [], hasMajority: true, jobs: new Map(), ...p });
const view = (nodes: NodeInfo[], statuses = new Map<string, SlotStatus[]>()): ClusterView => ({
  nodes: new Map(nodes.map((n) => [n.id, n])),
  workloads: [],
  claims: new Map(),
  statuses,
});
const sized = (name: string, replicas: number, cpuMillis: number, extra: Partial<WorkloadInfo> = {}): WorkloadInfo => {
  const base = workload(name, replicas, extra);
  return { ...base, demand: { ...base.demand, resources: { cpuMillis, memoryBytes: GiB / 4 }, ...extra.demand } };
};

const nodesOf = (result: Map<string, string>, auctions: readonly OpenAuction[]): string[] => auctions.map((a) => result.get(a.id) ?? '-');

test('spread: the open slots go to the emptiest nodes, one replica of a workload per node while others are as empty', () => {
  const filler = sized('filler', 2, 2000);
  const web = sized('web', 2, 500);
  const auctions = [open(web, 0), open(web, 1)];
  const result = forecast(view([node('a'), node('b'), node('c')]), plan({ placed: [placed(filler, 0, 'a')], open: auctions }), AT);
  assert.equal(nodesOf(result, auctions).sort(), ['b', 'c']);
});

test('binpack: the fullest node that still fits takes the slot; a node too full is passed over', () => {
  const filler = sized('filler', 2, 3800, { policy: 'binpack' });
  const half = sized('half', 1, 2000, { policy: 'binpack' });
  const job = sized('job', 2, 500, { policy: 'binpack' });
  const auctions = [open(job, 0), open(job, 1)];
  const result = forecast(view([node('a'), node('b'), node('c')]), plan({ placed: [placed(filler, 0, 'a'), placed(half, 0, 'b')], open: auctions }), AT);
  assert.equal(nodesOf(result, auctions), ['b', 'b'], 'a has 200m left, b fits both');
});

test('the largest replicas are placed first, so they find room before the small ones fill it', () => {
  const small = sized('small', 2, 1500, { policy: 'binpack' });
  const big = sized('big', 2, 2500, { policy: 'binpack' });
  const auctions = [open(small, 0), open(small, 1), open(big, 0), open(big, 1)];
  const result = forecast(view([node('a'), node('b')]), plan({ open: auctions }), AT);
  const [small0, small1, big0, big1] = nodesOf(result, auctions);
  assert.equal([small0, small1].sort(), ['a', 'b'], 'taken in the order given, the two small ones would fill a and leave a big one nowhere');
  assert.equal([big0, big1].sort(), ['a', 'b']);
});

test('label constraints hold, a node where the slot failed for good is skipped, and what fits nowhere is left out', () => {
  const pinned = sized('pinned', 1, 500, { demand: { ...workload('pinned', 1).demand, constraints: [{ key: 'zone', operator: '==', value: 'z2' }] } });
  const web = sized('web', 1, 500);
  const huge = sized('huge', 1, 64_000);
  const auctions = [open(pinned, 0), open(web, 0), open(huge, 0)];
  const statuses = new Map([['Workload/default/web#0', [{ node: 'a', epoch: 1, state: 'backoff', permanentFailure: true }]]]);
  const result = forecast(view([node('a', { labels: { zone: 'z1' } }), node('b', { labels: { zone: 'z2' } })], statuses), plan({ open: auctions }), AT);
  assert.equal(nodesOf(result, auctions), ['b', 'b', '-']);
});

test('cordoned, draining and dead nodes are given nothing', () => {
  const web = sized('web', 3, 500);
  const auctions = [open(web, 0), open(web, 1), open(web, 2)];
  const nodes = [node('a', { cordoned: true }), node('b', { draining: true }), node('c', { state: 'dead' }), node('d')];
  assert.equal(nodesOf(forecast(view(nodes), plan({ open: auctions }), AT), auctions), ['d', 'd', 'd']);
});

test.run();

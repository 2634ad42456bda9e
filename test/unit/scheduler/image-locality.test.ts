import { schedulerConfig } from '../../../protocol/scheduler/config.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterDocument, type Op } from '../../../crdt/index.js';
import { auctionId } from '../../../protocol/auction/slot.js';
import { IMAGE_HOLDERS_KEY } from '../../../protocol/images/holders.js';
import { imageFields, imageKey } from '../../../protocol/images/image-record.js';
import { clusterView } from '../../../protocol/scheduler/from-document.js';
import { forecast } from '../../../protocol/scheduler/forecast.js';
import type { OpenAuction, Plan } from '../../../protocol/scheduler/plan.js';
import type { ClusterView, NodeInfo, WorkloadInfo } from '../../../protocol/scheduler/view.js';
import { node, SharedCluster, workload } from './harness.js';

/** No status here carries a time: the moment a failed-here decline is judged at does not matter. */
const AT = { nowMs: 0, declineMs: schedulerConfig.local().failedHereDeclineMs };

const PUSHED = `sha256:${'1'.repeat(64)}`;
const PINNED = `sha256:${'2'.repeat(64)}`;
const ELSE = `sha256:${'3'.repeat(64)}`;

const stamp = (wallMs: number) => ({ hlc: { wallMs, counter: 0 }, author: 'test', id: String(wallMs) });
const documentOf = (ops: Op[]): ClusterDocument => {
  const doc = new ClusterDocument();
  ops.forEach((op, i) => doc.applyOp(op, stamp(1_000 + i)));
  return doc;
};

const withImage = (w: WorkloadInfo, image: string | undefined): WorkloadInfo => ({ ...w, demand: { ...w.demand, image } });
const open = (w: WorkloadInfo, index: number): OpenAuction => ({ id: auctionId({ workload: w.key, index }, 1), workload: w, index, epoch: 1, because: 'new', unschedulableRun: 0 });
const plan = (auctions: OpenAuction[]): Plan => ({ placed: [], open: auctions, waiting: [], hasMajority: true, jobs: new Map() });
const view = (nodes: NodeInfo[]): ClusterView => ({ nodes: new Map(nodes.map((n) => [n.id, n])), workloads: [], claims: new Map(), statuses: new Map() });
const holding = (id: string, images: string[] = [PUSHED]): NodeInfo => node(id, { images: new Set(images) });

test("the view gives each node the images it listed and each workload its image's content id, by digest or by a tag pushed into its namespace", () => {
  const doc = documentOf([
    { key: imageKey('default', PUSHED), set: imageFields({ references: ['web:1', 'web:latest'], sizeBytes: 1_000 }) },
    { key: IMAGE_HOLDERS_KEY, set: { a: [PUSHED, PINNED], b: [PINNED, PUSHED], c: [] } },
    { key: 'Workload/default/web', set: { 'spec.image': 'web:1' } },
    { key: 'Job/default/batch', set: { 'spec.image': `registry.example/batch@${PINNED}`, 'spec.completions': 1 } },
    { key: 'CronJob/default/nightly', set: { 'spec.image': 'nginx:latest', 'spec.schedule': '0 3 * * *' } },
    { key: 'Workload/other/web', set: { 'spec.image': 'web:1' } },
    { key: 'Workload/default/bare', set: { 'spec.image': PINNED } },
  ]);
  const v = clusterView(doc, [node('a'), node('b'), node('c'), node('d')]);
  assert.equal(v.nodes.get('a')?.images, new Set([PUSHED, PINNED]));
  assert.is(v.nodes.get('b')?.images, undefined, 'an unsorted list is left out');
  assert.equal(v.nodes.get('c')?.images, new Set());
  assert.is(v.nodes.get('d')?.images, undefined);
  const imageOf = (key: string): string | undefined => v.workloads.find((w) => w.key === key)?.demand.image;
  assert.is(imageOf('Workload/default/web'), PUSHED, 'a tag pushed into its namespace');
  assert.is(imageOf('Job/default/batch'), PINNED, 'name@sha256:<hex>');
  assert.is(imageOf('Workload/default/bare'), PINNED, 'a bare content id');
  assert.is(imageOf('CronJob/default/nightly'), undefined, 'a tag nobody pushed: the engine decides');
  assert.is(imageOf('Workload/other/web'), undefined, 'pushed into another namespace');
});

test('the forecast names the holder when two empty nodes compete for a slot, under spread and binpack, whatever the ids', () => {
  for (const policy of ['spread', 'binpack'] as const) {
    for (const [holder, other] of [
      ['a', 'b'],
      ['b', 'a'],
    ]) {
      const web = withImage(workload('web', 1, { policy }), PUSHED);
      for (let index = 0; index < 6; index++) {
        const auctions = [open(web, index)];
        const result = forecast(view([node(other as string), holding(holder as string)]), plan(auctions), AT);
        assert.is(result.get(auctions[0]?.id as string), holder, `${policy}, slot ${index}`);
      }
    }
  }
});

test('the forecast finds a holder past the nodes it would otherwise score: one replica goes to it under spread, all of them under binpack', () => {
  const nodes = [...Array.from({ length: 20 }, (_, i) => node(`n${String(i).padStart(2, '0')}`)), holding('z')];
  const spread = withImage(workload('web', 3), PUSHED);
  const spreadAuctions = [0, 1, 2].map((i) => open(spread, i));
  const byNode = [...forecast(view(nodes), plan(spreadAuctions), AT).values()];
  assert.is(byNode.length, 3);
  assert.is(byNode.filter((n) => n === 'z').length, 1, 'anti-affinity sends the others elsewhere');
  const binpack = withImage(workload('batch', 3, { policy: 'binpack' }), PUSHED);
  const binpackAuctions = [0, 1, 2].map((i) => open(binpack, i));
  assert.equal([...forecast(view(nodes), plan(binpackAuctions), AT).values()], ['z', 'z', 'z']);
});

test('the forecast passes over a holder clearly fuller (spread) or emptier (binpack), and a holder that cannot take the slot', () => {
  const filler = workload('filler', 1, { demand: { ...workload('filler', 1).demand, resources: { cpuMillis: 2000, memoryBytes: 4 * 1024 ** 3 } } });
  const spread = withImage(workload('web', 1), PUSHED);
  const placed = { workload: filler, index: 0, assignment: { epoch: 1, node: 'holder', score: 1, tiebreak: '0' }, unreachable: false };
  const auctions = [open(spread, 0)];
  const result = forecast(view([node('a'), holding('holder')]), { ...plan(auctions), placed: [placed] }, AT);
  assert.is(result.get(auctions[0]?.id as string), 'a');
  const binpack = withImage(workload('batch', 1, { policy: 'binpack' }), PUSHED);
  const fuller = { ...placed, assignment: { ...placed.assignment, node: 'a' } };
  const binpackAuctions = [open(binpack, 0)];
  assert.is(forecast(view([node('a'), holding('holder')]), { ...plan(binpackAuctions), placed: [fuller] }, AT).get(binpackAuctions[0]?.id as string), 'a');
  const pinned = withImage(
    workload('pinned', 1, { demand: { ...spread.demand, workload: 'Workload/default/pinned', constraints: [{ key: 'zone', operator: '==', value: 'z1' }] } }),
    PUSHED,
  );
  const pinnedAuctions = [open(pinned, 0)];
  const zoned = [node('a', { labels: { zone: 'z1' } }), holding('holder')];
  assert.is(forecast(view(zoned), plan(pinnedAuctions), AT).get(pinnedAuctions[0]?.id as string), 'a');
});

test('schedulers place a replica on the node holding its image, and the holder bids as one', () => {
  const nodes = new Map(['a', 'b', 'c'].map((id) => [id, id === 'c' ? holding(id) : node(id)]));
  const web = withImage(workload('web', 1), PUSHED);
  const cluster = new SharedCluster(nodes, [web]);
  cluster.run(40);
  assert.equal([...cluster.placements().values()], ['c']);
  const claim = cluster.claims.get('Workload/default/web#0')?.find((c) => 'winner' in c);
  // 500m of 4000m and 1/4 GiB of 8 GiB: utilization (0.125 + 0.03125) / 2, with no cut for lacking the image.
  assert.ok(claim !== undefined && 'score' in claim && claim.score === 1 - (0.125 + 0.03125) / 2, JSON.stringify(claim));
});

test('a workload whose image no node holds, or is unknown, is placed as before', () => {
  for (const image of [undefined, ELSE]) {
    const cluster = new SharedCluster(new Map(['a', 'b', 'c'].map((id) => [id, holding(id, [PUSHED])])), [withImage(workload('web', 6), image)]);
    cluster.run(40);
    const counts: Record<string, number> = {};
    for (const n of cluster.placements().values()) counts[n] = (counts[n] ?? 0) + 1;
    assert.equal(counts, { a: 2, b: 2, c: 2 }, String(image));
  }
});

test.run();

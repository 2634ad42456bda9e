import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRandom } from '../../../base/random.js';
import { schedulerConfig } from '../../../protocol/scheduler/config.js';
import { workloadInfo } from '../../../protocol/scheduler/from-document.js';
import { Scheduler } from '../../../protocol/scheduler/scheduler.js';
import { node, SharedCluster, workload } from './harness.js';

const agent = (name: string, extra: Partial<ReturnType<typeof workload>['demand']> = {}) => {
  const w = workload(name, 0, { global: true });
  return { ...w, demand: { ...w.demand, maxPerNode: 1, ...extra } };
};

const byNode = (placed: Map<string, string>): string[] => [...placed.values()].sort();

test('a global workload runs one replica on every node, whatever its replicas field says', () => {
  const cluster = new SharedCluster(new Map(['a', 'b', 'c'].map((id) => [id, node(id)])), [agent('agent')]);
  cluster.run(60);
  assert.equal(byNode(cluster.placements()), ['a', 'b', 'c']);
});

test('a global workload runs only on the nodes its constraints allow', () => {
  const nodes = new Map([
    ['a', node('a', { labels: { zone: 'eu' } })],
    ['b', node('b', { labels: { zone: 'us' } })],
    ['c', node('c', { labels: { zone: 'eu' } })],
  ]);
  const cluster = new SharedCluster(nodes, [agent('agent', { constraints: [{ key: 'zone', operator: '==', value: 'eu' }] })]);
  cluster.run(60);
  assert.equal(byNode(cluster.placements()), ['a', 'c']);
});

test('a node that joins gets a replica of a global workload; one that dies costs no other node its replica', () => {
  const cluster = new SharedCluster(new Map(['a', 'b', 'c'].map((id) => [id, node(id)])), [agent('agent')]);
  cluster.run(60);
  cluster.nodes = new Map(cluster.nodes).set('d', node('d')); // a new map: the scheduler caches its ring by the map's identity
  cluster.schedulers.set('d', new Scheduler('d', schedulerConfig.local(), createRandom(4), cluster.nowMs));
  cluster.run(60);
  const before = cluster.placements();
  assert.equal(byNode(before), ['a', 'b', 'c', 'd']);

  const deadSlot = [...before].find(([, n]) => n === 'b')?.[0];
  cluster.nodes = new Map(cluster.nodes).set('b', { ...node('b'), state: 'dead', stateChangedAtMs: cluster.nowMs });
  cluster.run(200);
  const during = cluster.placements();
  for (const [slot, n] of before) if (n !== 'b') assert.is(during.get(slot), n, `${slot} stays on ${n}`);
  assert.is(during.has(deadSlot as string), false, "the dead node's slot is held for it, not doubled up elsewhere");

  cluster.nodes = new Map(cluster.nodes).set('b', { ...node('b'), stateChangedAtMs: cluster.nowMs });
  cluster.run(200);
  assert.equal(byNode(cluster.placements()), ['a', 'b', 'c', 'd']);

  cluster.nodes = new Map(cluster.nodes).set('d', { ...node('d'), state: 'left', stateChangedAtMs: cluster.nowMs });
  cluster.run(200);
  assert.equal(byNode(cluster.placements()).length, 3, 'a member that left no longer counts');
});

test("the document's mode field makes a workload global, capped at one replica a node", () => {
  const info = workloadInfo('Workload/default/agent', { apiVersion: 'shoal/v1', 'spec.image': 'x', 'spec.replicas': 7, 'spec.mode': 'global' });
  assert.is(info.global, true);
  assert.is(info.demand.maxPerNode, 1);
  assert.is(workloadInfo('Job/default/j', { 'spec.mode': 'global' }).global, false, 'only a Workload can be global');
});

test.run();

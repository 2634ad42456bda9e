import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRandom } from '../../../base/random.js';
import { nextRequest } from '../../../testnet/docker/scenario/clients.js';
import { workloadPool } from '../../../testnet/docker/scenario/workloads.js';

const nodes = ['node-1', 'node-2', 'node-3'].map((name) => ({
  name,
  container: name,
  ip: '10.0.0.1',
  api: { url: 'https://10.0.0.1:7371', fingerprint: 'ab'.repeat(32) },
  peerId: name,
}));

test('clients scale only workloads nobody deletes, delete only the churned ones, and reach every node and kind', () => {
  const pool = workloadPool('s0', 2);
  const random = createRandom(7);
  const requests = Array.from({ length: 500 }, () => nextRequest(random, nodes, pool));
  assert.ok(requests.filter((r) => r.kind === 'scale').every((r) => pool.scaled.includes(r.workload)));
  assert.ok(requests.filter((r) => r.kind === 'delete').every((r) => pool.churned.includes(r.workload) && r.fields === null));
  assert.ok(requests.filter((r) => r.kind === 'apply').every((r) => r.fields?.['spec.image'] === 'shoal/busybox:1'));
  assert.equal(new Set(requests.map((r) => r.kind)).size, 3);
  assert.equal(new Set(requests.map((r) => r.node.name)).size, nodes.length);
});

test('the same seed gives the same requests', () => {
  const pool = workloadPool('s0', 2);
  const run = (seed: number): string[] => {
    const random = createRandom(seed);
    return Array.from({ length: 50 }, () => nextRequest(random, nodes, pool)).map((r) => `${r.kind} ${r.node.name} ${r.workload} ${JSON.stringify(r.fields)}`);
  };
  assert.equal(run(3), run(3));
  assert.not.equal(run(3), run(4));
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Replica } from '../../../crdt/index.js';
import { placementField } from '../../../crdt/node-writes.js';
import { peerIdOfPublicKey } from '../../../protocol/identity/peer-id.js';
import { author, CLUSTER, write } from './fixtures.js';

const NOW = 1_800_000_000_000;
const operator = author(1);
const node = author(5);
const nodeId = peerIdOfPublicKey(node.publicKey);
const other = peerIdOfPublicKey(author(6).publicKey);
const replica = () => new Replica({ cluster: CLUSTER, operators: [operator.publicKey] });

const code = (r: Replica, delta: ReturnType<typeof write>) => {
  const result = r.receive(delta, NOW);
  return result.ok ? 'ok' : result.error.code;
};

test('a node may write its own decision into a Placement and its own field of a Status', () => {
  const r = replica();
  assert.is(code(r, write(node, NOW, [{ key: 'Placement/default/web.0', set: { [placementField(1, nodeId)]: { winner: nodeId } } }])), 'ok');
  assert.is(code(r, write(node, NOW, [{ key: 'Status/default/web.0', set: { [nodeId]: { state: 'running' } } }])), 'ok');
  assert.equal(r.document.get('Status/default/web.0'), { [nodeId]: { state: 'running' } });
});

test('a node may record that a revision failed on it, and only on it', () => {
  const r = replica();
  assert.is(code(r, write(node, NOW, [{ key: 'Rollout/default/web', set: { [`failed.0123456789ab.${nodeId}`]: { reason: 'not ready' } } }])), 'ok');
  assert.is(code(r, write(node, NOW, [{ key: 'Rollout/default/web', set: { [`failed.0123456789ab.${other}`]: { reason: 'not ready' } } }])), 'unknown-author');
});

test('a node may not write in another node\'s name, delete, or touch workloads and operators', () => {
  const r = replica();
  const refused = [
    [{ key: 'Placement/default/web.0', set: { [placementField(1, other)]: { winner: nodeId } } }],
    [{ key: 'Status/default/web.0', set: { [other]: { state: 'running' } } }],
    [{ key: 'Status/default/web.0', delete: true as const }],
    [{ key: 'Workload/default/web', set: { 'spec.replicas': 99 } }],
    [{ key: 'Operator/cluster/0123456789abcdef', set: { publicKey: node.publicKey } }],
    [
      { key: 'Status/default/web.0', set: { [nodeId]: { state: 'running' } } },
      { key: 'Workload/default/web', set: { 'spec.replicas': 99 } },
    ],
  ];
  for (const ops of refused) assert.is(code(r, write(node, NOW, ops)), 'unknown-author', JSON.stringify(ops));
  assert.is(r.size, 0);
});

test('a node write survives a rebuild caused by an operator change', () => {
  const r = replica();
  assert.is(code(r, write(node, NOW, [{ key: 'Status/default/web.0', set: { [nodeId]: { state: 'running' } } }])), 'ok');
  const teammate = author(2);
  assert.is(code(r, write(operator, NOW + 1, [{ key: `Operator/cluster/${teammate.publicKey.slice(0, 16)}`, set: { publicKey: teammate.publicKey } }])), 'ok');
  assert.equal(r.document.get('Status/default/web.0'), { [nodeId]: { state: 'running' } });
});

test.run();

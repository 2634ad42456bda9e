import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Json } from '../../../crdt/index.js';
import {
  checkAll,
  checkCapacity,
  checkDigests,
  checkDocuments,
  checkEquivocations,
  checkSlots,
  checkWrites,
  passed,
  writesLost,
} from '../../../testnet/docker/scenario/checker.js';
import type { ClientOp, History, OpKind } from '../../../testnet/docker/scenario/history.js';
import type { NodeSnapshot, RunningReplica, Snapshot, WorkloadObject } from '../../../testnet/docker/scenario/snapshot.js';

const WEB = 'Workload/default/web';
const DB = 'Workload/default/db';
const spec = (replicas: number): Record<string, Json> => ({
  apiVersion: 'shoal/v1',
  'spec.image': 'shoal/busybox:1',
  'spec.replicas': replicas,
  'spec.resources': { cpu: '500m', memory: '8Mi' },
});

let ids = 0;
/** A write stamped at `wallMs`; `answer` says whether it was acknowledged, failed after posting, or never posted. */
function op(kind: OpKind, workload: string, fields: Record<string, Json> | null, wallMs: number, answer: 'ack' | 'timeout' | 'unposted' = 'ack', endMs = wallMs + 5): ClientOp {
  const id = `d${String(++ids).padStart(3, '0')}`;
  return {
    client: 'client-0',
    kind,
    node: 'node-1',
    workload,
    fields,
    stamp: answer === 'unposted' ? null : { hlc: { wallMs, counter: 0 }, author: 'op', id },
    startMs: wallMs,
    endMs,
    result: answer === 'ack' ? { ok: true, delta: id } : { ok: false, error: 'timed out after 2000 ms' },
  };
}
const apply = (workload: string, replicas: number, wallMs: number, answer?: 'ack' | 'timeout' | 'unposted'): ClientOp => op('apply', workload, spec(replicas), wallMs, answer);
const scale = (workload: string, replicas: number, wallMs: number, answer?: 'ack' | 'timeout' | 'unposted', endMs?: number): ClientOp =>
  op('scale', workload, { 'spec.replicas': replicas }, wallMs, answer, endMs);
const remove = (workload: string, wallMs: number, answer?: 'ack' | 'timeout' | 'unposted'): ClientOp => op('delete', workload, null, wallMs, answer);
const history = (...ops: ClientOp[]): History => ({ ops, faults: [] });

const NODES = ['node-1', 'node-2', 'node-3'];
const peer = (name: string): string => `peer-${name}`;
const CAPACITY = { cpuMillis: 2_000, memoryBytes: 1 << 30 };

function nodeSnapshot(node: string, workloads: WorkloadObject[], digest = '7:abc'): NodeSnapshot {
  const members = NODES.map((n) => ({
    id: peer(n),
    addrs: [],
    state: 'alive' as const,
    incarnation: 0,
    labels: {},
    capacity: CAPACITY,
    version: '0.1.0',
    lastChange: null,
    admitted: true,
    reach: null,
  }));
  return { node, peerId: peer(node), view: { digest, liveMembers: NODES.length, equivocations: [], workloads, placements: [], members }, error: null };
}
const replica = (workload: string, slot: number, node: string, epoch = 1): RunningReplica => ({
  container: `${node}-${workload}-${slot}-${epoch}`.padEnd(12, 'x'),
  node: peer(node),
  workload,
  slot,
  epoch,
});

/** Every node holds `workloads`, and the engine runs `replicas`. */
const snapshot = (workloads: WorkloadObject[], replicas: RunningReplica[]): Snapshot => ({ atMs: 0, nodes: NODES.map((n) => nodeSnapshot(n, workloads)), replicas });
const withNode = (s: Snapshot, index: number, changed: NodeSnapshot): Snapshot => ({ ...s, nodes: s.nodes.map((n, i) => (i === index ? changed : n)) });
const web = (replicas: number): WorkloadObject => ({ key: WEB, fields: spec(replicas) });
const webReplicas = (count: number): RunningReplica[] => Array.from({ length: count }, (_, i) => replica(WEB, i, NODES[i % NODES.length] as string));

test('a healed cluster that holds every acknowledged write passes every check', () => {
  const h = history(apply(WEB, 1, 100), scale(WEB, 3, 200), apply(DB, 1, 150), remove(DB, 300));
  const results = checkAll(h, snapshot([web(3)], webReplicas(3)));
  assert.ok(passed(results), JSON.stringify(results));
  assert.is(writesLost(results), 0);
});

test('a lost write: one node still shows the value the last acknowledged scale replaced', () => {
  const last = scale(WEB, 3, 200);
  const h = history(apply(WEB, 1, 100), last);
  const s = withNode(snapshot([web(3)], webReplicas(3)), 1, nodeSnapshot('node-2', [web(1)], '6:abd'));
  const results = checkAll(h, s);
  assert.is(results.writes.length, 1);
  assert.match(results.writes[0]?.detail ?? '', /node-2 shows Workload\/default\/web spec.replicas = 1, not 3 of delta/);
  assert.is(results.writes[0]?.delta, last.result.ok ? last.result.delta : '');
  assert.is(writesLost(results), 1);
  assert.is(results.documents.length, 1);
  assert.is(results.digests.length, 1);
});

test('a lost delete: the object shows on a node although its acknowledged delete came last', () => {
  const s = snapshot([web(1)], webReplicas(1));
  const results = checkWrites(history(apply(WEB, 1, 100), remove(WEB, 200)), s);
  assert.is(results.length, 4 * NODES.length, 'every field of the apply, on every node');
  assert.is(writesLost({ digests: [], documents: [], writes: results, slots: [], capacity: [], equivocations: [] }), 1);
});

test('a write superseded by a later-stamped acknowledged write needs not show', () => {
  const h = history(apply(WEB, 1, 100), scale(WEB, 3, 200), scale(WEB, 5, 300));
  assert.equal(checkWrites(h, snapshot([web(5)], [])), []);
  assert.is(checkWrites(h, snapshot([web(3)], [])).length, NODES.length);
});

test('stamps, not the host clock, order writes: a write acknowledged later but stamped earlier (a skewed node) loses', () => {
  const ahead = scale(WEB, 4, 60_200, 'ack', 210);
  const behind = scale(WEB, 2, 300, 'ack', 320);
  const h = history(apply(WEB, 1, 100), ahead, behind);
  assert.equal(checkWrites(h, snapshot([web(4)], [])), []);
  assert.is(checkWrites(h, snapshot([web(2)], [])).length, NODES.length);
});

test('a write whose answer never came may or may not have landed; one never posted cannot have', () => {
  const h = history(apply(WEB, 1, 100), scale(WEB, 3, 200), scale(WEB, 4, 300, 'timeout'), scale(WEB, 6, 400, 'unposted'));
  assert.equal(checkWrites(h, snapshot([web(3)], [])), []);
  assert.equal(checkWrites(h, snapshot([web(4)], [])), []);
  assert.is(checkWrites(h, snapshot([web(6)], [])).length, NODES.length);
});

test('an unanswered write stamped before the last acknowledged one cannot explain an older value', () => {
  const h = history(apply(WEB, 1, 100), scale(WEB, 4, 150, 'timeout'), scale(WEB, 3, 200));
  assert.is(checkWrites(h, snapshot([web(4)], [])).length, NODES.length);
});

test('an apply stamped after a delete brings the object back; a scale alone on a deleted object shows only its field', () => {
  const h = history(apply(WEB, 1, 100), remove(WEB, 200), apply(WEB, 2, 300));
  assert.equal(checkWrites(h, snapshot([web(2)], [])), []);
  const partial = history(apply(WEB, 1, 100), remove(WEB, 200), scale(WEB, 2, 300));
  assert.equal(checkWrites(partial, snapshot([{ key: WEB, fields: { 'spec.replicas': 2 } }], [])), []);
});

test('a field no write of the history set is reported', () => {
  const h = history(apply(WEB, 1, 100));
  const invented = { key: WEB, fields: { ...spec(1), 'spec.env': [] } };
  const results = checkWrites(h, snapshot([invented], []));
  assert.is(results.length, NODES.length);
  assert.match(results[0]?.detail ?? '', /spec.env = \[\], which no write of the history set/);
});

test('digests: a silent node and a node holding other deltas are reported', () => {
  const s = snapshot([web(1)], []);
  const silent = withNode(s, 2, { node: 'node-3', peerId: peer('node-3'), view: null, error: 'timed out after 2000 ms' });
  assert.equal(
    checkDigests(silent).map((v) => v.detail),
    ['node-3 did not answer: timed out after 2000 ms'],
  );
  const apart = withNode(s, 0, nodeSnapshot('node-1', [web(1)], '8:fff'));
  assert.match(checkDigests(apart)[0]?.detail ?? '', /node-1 hold 8:fff; node-2,node-3 hold 7:abc/);
});

test('documents: an object missing on one node is reported', () => {
  const s = withNode(snapshot([web(1)], []), 1, nodeSnapshot('node-2', []));
  assert.match(checkDocuments(s)[0]?.detail ?? '', /Workload\/default\/web differs between nodes: .*node-2: absent/);
});

test('slots: a slot that runs twice, one that runs nowhere, and replicas of no slot are reported', () => {
  const twice = [replica(WEB, 0, 'node-1', 1), replica(WEB, 0, 'node-2', 2), replica(WEB, 1, 'node-3')];
  assert.equal(checkSlots(snapshot([web(2)], twice)).length, 1);
  assert.match(checkSlots(snapshot([web(2)], twice))[0]?.detail ?? '', /web#0 runs 2 times: .* on node-1 \(epoch 1\), .* on node-2 \(epoch 2\)/);
  assert.match(checkSlots(snapshot([web(2)], webReplicas(1)))[0]?.detail ?? '', /web#1 runs nowhere/);
  const orphans = [...webReplicas(2), replica(WEB, 2, 'node-1'), replica(DB, 0, 'node-2')];
  assert.equal(
    checkSlots(snapshot([web(2)], orphans)).map((v) => v.detail.split(' ')[0]),
    [`${WEB}#2`, `${DB}#0`],
  );
});

test('equivocations: a node that reported any is named, with the last of them', () => {
  const s = snapshot([web(1)], webReplicas(1));
  const node2 = nodeSnapshot('node-2', [web(1)]);
  const reported = withNode(s, 1, { ...node2, view: { ...(node2.view as NonNullable<NodeSnapshot['view']>), equivocations: [{ author: 'k1', seq: 3 }] } });
  assert.equal(checkEquivocations(s), []);
  const found = checkEquivocations(reported);
  assert.is(found.length, 1);
  assert.match(found[0]?.detail ?? '', /node-2 reported 1 equivocations, the last \{"author":"k1","seq":3\}/);
  assert.not.ok(passed(checkAll(history(apply(WEB, 1, 100)), reported)));
});

test('capacity: a node running more than it has is over-committed; one at exactly its capacity is not', () => {
  const full = Array.from({ length: 4 }, (_, i) => replica(WEB, i, 'node-1'));
  assert.equal(checkCapacity(snapshot([web(4)], full)), []);
  const over = [...full, replica(WEB, 4, 'node-1')];
  assert.match(checkCapacity(snapshot([web(5)], over))[0]?.detail ?? '', /node-1 runs 5 replicas asking 2500m CPU .* over its 2000m/);
});

test.run();

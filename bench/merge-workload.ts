import '../node/polyfill.js';
import { defaultReplicaOptions, Replica, type Delta } from '../crdt/index.js';
import { nativeVerifier } from '../node/native-verifier.js';
import { NODE_WRITES } from '../protocol/node-writes.js';
import { peerIdOfPublicKey } from '../base/peer-id.js';
import { author, CLUSTER, write } from '../test/unit/crdt/fixtures.js';

/**
 * One merge workload that runs on this tree and on an older one (bench/trust.ts copies it
 * there): 1,000 workloads from an operator, then each slot's placement decision and
 * status from a node, received by a fresh replica with signature checks. Prints deltas per second.
 */
const operator = author(1);
const node = author(5);
const nodeId = peerIdOfPublicKey(node.publicKey);
const NOW = Date.now();
const WORKLOADS = 1_000;

const deltas: Delta[] = [];
for (let i = 0; i < WORKLOADS; i++) deltas.push(write(operator, NOW + i, [{ key: `Workload/default/w${i}`, set: { 'spec.image': 'busybox', 'spec.replicas': 1 } }]));
for (let i = 0; i < WORKLOADS; i++) {
  deltas.push(write(node, NOW + WORKLOADS + i, [{ key: `Placement/default/w${i}.0`, set: { [`e1.${nodeId}`]: { winner: nodeId, score: 1 } } }]));
  deltas.push(write(node, NOW + 2 * WORKLOADS + i, [{ key: `Status/default/w${i}.0`, set: { [nodeId]: { state: 'running', epoch: 1 } } }]));
}

const runs: number[] = [];
for (let run = 0; run < 5; run++) {
  const replica = new Replica({ cluster: CLUSTER, operators: [operator.publicKey], nodes: [node.publicKey] } as never, {
    ...defaultReplicaOptions(),
    verifier: nativeVerifier(),
    nodeWrites: NODE_WRITES,
  });
  const started = performance.now();
  let accepted = 0;
  for (const d of deltas) if (replica.receive(d, NOW + 10 * WORKLOADS).ok) accepted++;
  if (accepted !== deltas.length) throw new Error(`only ${accepted} of ${deltas.length} deltas accepted`);
  runs.push(deltas.length / ((performance.now() - started) / 1000));
}
runs.sort((a, b) => a - b);
console.log(JSON.stringify({ deltas: deltas.length, deltasPerS: Math.round(runs[2] as number) }));

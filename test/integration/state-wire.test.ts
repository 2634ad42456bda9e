import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToHex } from '@noble/hashes/utils.js';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { encodeDelta, operatorKey, signDelta, type Json, type Op } from '../../crdt/index.js';
import { nodeKey } from '../../crdt/authority.js';
import { newCluster, saveCluster } from '../../node/cluster.js';
import type { RunningNode } from '../../node/daemon.js';
import { startSoloNode } from '../../testnet/local/solo-node.js';
import { createHost, loopbackTrust, type Host } from '../../node/host.js';
import { author } from '../unit/crdt/fixtures.js';
import { signedFetch } from '../../cli/client.js';
import { operatorKeyOf } from '../../node/operator-key.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-gossip-'));
const operator = author(1);
const stranger = author(7);
const cluster = newCluster([operator.publicKey]);
const topic = `/shoal/${cluster.id}/deltas/1`;
let node: RunningNode;
let peer: Host;

test.before(async () => {
  saveCluster(dir, cluster);
  node = await startSoloNode(dir);
  peer = await createHost({ privateKey: await generateKeyPair('Ed25519'), psk: cluster.psk, clusterId: cluster.id, listen: ['/ip4/127.0.0.1/tcp/0'], ...loopbackTrust });
  peer.services.pubsub.subscribe(topic);
  await peer.dial(multiaddr(node.listenAddrs[0]!));
  const deadline = Date.now() + 10_000;
  while (!peer.services.pubsub.getSubscribers(topic).some((p) => p.toString() === node.peerId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
});

test.after(async () => {
  await peer?.stop();
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Reads of the node's API are signed like any request. */
const fetchAs = signedFetch(operatorKeyOf(operator.secret, 'test operator'));
const status = async (): Promise<{ state: { rejected: Record<string, number>; accepted: number } }> => (await fetchAs(`${node.apiUrl}/v1/status`)).json() as never;
const objectExists = async (name: string): Promise<boolean> => (await fetchAs(`${node.apiUrl}/v1/objects/Workload/default/${name}`)).status === 200;

async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

test('deltas on gossip are merged when an operator signed them, and refused and counted when forged or unknown', async () => {
  const now = Date.now();
  const good = signDelta(
    { v: 1, cluster: cluster.id, author: operator.publicKey, seq: 1, hlc: { wallMs: now, counter: 0 }, ops: [{ key: 'Workload/default/good', set: { 'spec.image': 'busybox' } }] },
    operator.secret,
  );
  const forged = { ...signDelta({ ...good.body, seq: 2, ops: [{ key: 'Workload/default/forged', set: { x: 1 } }] }, operator.secret) };
  forged.sig = forged.sig.replace(/^./, forged.sig.startsWith('0') ? '1' : '0');
  const unknown = signDelta(
    { v: 1, cluster: cluster.id, author: stranger.publicKey, seq: 1, hlc: { wallMs: now, counter: 0 }, ops: [{ key: 'Workload/default/unknown', set: { x: 1 } }] },
    stranger.secret,
  );
  const pubsub = peer.services.pubsub;
  await pubsub.publish(topic, encodeDelta(forged));
  await pubsub.publish(topic, encodeDelta(unknown));
  await pubsub.publish(topic, new TextEncoder().encode('{"not":"a delta"}'));
  await pubsub.publish(topic, encodeDelta(good));
  assert.ok(await eventually(() => objectExists('good')), 'the signed delta arrives');
  assert.ok(await eventually(async () => Object.values((await status()).state.rejected).reduce((a, b) => a + b, 0) >= 3));
  const { rejected } = (await status()).state;
  // An unknown author is ignored, not rejected (it may be a node whose admission has not
  // arrived yet), so gossipsub may deliver it again, and each delivery is counted.
  assert.equal({ ...rejected, 'unknown-author': Math.min(1, rejected['unknown-author'] ?? 0) }, { 'bad-signature': 1, 'unknown-author': 1, invalid: 1 });
  assert.not.ok(await objectExists('forged'));
  assert.not.ok(await objectExists('unknown'));
});

// The API refuses such a write (api-auth.test.ts); a peer that skips the API and gossips it
// meets the same rule in the replica, which judges a delta by its author's role.
test("a deployer's write outside its namespaces, carried on gossip past any API, changes nothing", async () => {
  const deployer = author(8);
  const now = Date.now();
  const grant = signDelta(
    {
      v: 1,
      cluster: cluster.id,
      author: operator.publicKey,
      seq: 3,
      hlc: { wallMs: now, counter: 0 },
      ops: [{ key: operatorKey(deployer.publicKey), set: { publicKey: deployer.publicKey, role: 'deployer', namespaces: ['shop'] } }],
    },
    operator.secret,
  );
  const write = (seq: number, key: string) =>
    signDelta(
      { v: 1, cluster: cluster.id, author: deployer.publicKey, seq, hlc: { wallMs: now + 10, counter: 0 }, ops: [{ key, set: { 'spec.image': 'busybox' } }] },
      deployer.secret,
    );
  const pubsub = peer.services.pubsub;
  await pubsub.publish(topic, encodeDelta(grant));
  // Validation runs concurrently: a write that overtook its author's grant would be dropped as from an unknown key.
  assert.ok(await eventually(async () => ((await (await fetchAs(`${node.apiUrl}/v1/operators`)).json()) as unknown[]).length === 2), 'the grant arrives');
  await pubsub.publish(topic, encodeDelta(write(1, 'Workload/default/outside')));
  await pubsub.publish(topic, encodeDelta(write(2, 'Workload/shop/inside')));
  assert.ok(await eventually(async () => (await fetchAs(`${node.apiUrl}/v1/objects/Workload/shop/inside`)).status === 200), 'its write in shop counts');
  assert.not.ok(await objectExists('outside'), 'its write in default does not');
});

test('a node-signed autoscale decision outside the bounds, or for a workload that does not autoscale, carried on gossip, changes nothing', async () => {
  const key = await generateKeyPair('Ed25519');
  const nodePublicKey = bytesToHex(key.publicKey.raw);
  const nodeId = peerIdFromPrivateKey(key).toString();
  const now = Date.now();
  const asOperator = (seq: number, ops: Op[]) =>
    signDelta({ v: 1, cluster: cluster.id, author: operator.publicKey, seq, hlc: { wallMs: now + seq, counter: 0 }, ops }, operator.secret);
  const autoscale = { minReplicas: 1, maxReplicas: 3, metrics: [{ cpu: { targetPercent: 50 } }] };
  const workload = (name: string, extra: Record<string, Json>) => ({
    key: `Workload/default/${name}`,
    set: { apiVersion: 'shoal/v1', 'spec.image': 'busybox', 'spec.resources': { cpu: '100m' }, ...extra },
  });
  let seq = 0;
  const decide = (name: string, replicas: number) =>
    signDelta(
      {
        v: 1,
        cluster: cluster.id,
        author: nodePublicKey,
        seq: ++seq,
        hlc: { wallMs: now + 100 + seq, counter: 0 },
        ops: [{ key: `Autoscale/default/${name}`, set: { decision: { replicas, decider: nodeId, metric: 'cpu', value: 200, target: 50, atMs: now } } }],
      },
      key.raw.subarray(0, 32),
    );
  const pubsub = peer.services.pubsub;
  // The operator admits the node and writes two workloads, one autoscaled.
  await pubsub.publish(
    topic,
    encodeDelta(
      asOperator(10, [{ key: nodeKey(nodePublicKey), set: { peerId: nodeId } }, workload('scaled', { 'spec.autoscale': autoscale }), workload('fixed', { 'spec.replicas': 2 })]),
    ),
  );
  assert.ok(await eventually(() => objectExists('scaled')), 'the workloads arrive');
  const decision = async (name: string) =>
    (((await (await fetchAs(`${node.apiUrl}/v1/objects/Autoscale/default/${name}`)).json()) as { fields?: Record<string, Json> }).fields?.decision ?? null) as {
      replicas: number;
    } | null;
  await pubsub.publish(topic, encodeDelta(decide('scaled', 2)));
  assert.ok(await eventually(async () => (await decision('scaled'))?.replicas === 2), 'a decision within 1..3 counts');
  // Counted before they are sent: read after, the two could already be in it.
  const held = (await status()).state.accepted;
  await pubsub.publish(topic, encodeDelta(decide('scaled', 9)));
  await pubsub.publish(topic, encodeDelta(decide('fixed', 3)));
  // Both later by stamp and gossiped; once the node holds them (its log grows), neither shows.
  assert.ok(await eventually(async () => (await status()).state.accepted >= held + 2 || (await decision('scaled'))?.replicas !== 2), 'the decisions reach the node');
  assert.is((await decision('scaled'))?.replicas, 2, 'the decision for 9 replicas, above its bound of 3, counts nowhere');
  assert.is(await decision('fixed'), null, 'a workload without autoscale takes no decision');
});

test.run();

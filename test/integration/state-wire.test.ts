import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeDelta, operatorKey, signDelta } from '../../crdt/index.js';
import { newCluster, saveCluster } from '../../node/cluster.js';
import { startNode, type RunningNode } from '../../node/daemon.js';
import { createHost, loopbackTrust, type Host } from '../../node/host.js';
import { author } from '../unit/crdt/fixtures.js';
import { signedFetch } from '../../cli/client.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-gossip-'));
const operator = author(1);
const stranger = author(7);
const cluster = newCluster([operator.publicKey]);
const topic = `/shoal/${cluster.id}/deltas/1`;
let node: RunningNode;
let peer: Host;

test.before(async () => {
  saveCluster(dir, cluster);
  node = await startNode({
    dataDir: dir,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    api: { host: '127.0.0.1', port: 0 },
    seeds: [],
    labels: {},
    preset: 'local',
    log: pino({ level: 'silent' }),
  });
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
const fetchAs = signedFetch({ ...operator, path: 'test operator' });
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

test.run();

import { generateKeyPair } from '@libp2p/crypto/keys';
import type { ConnectionGater, PeerId } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeDelta, signDelta, type Delta } from '../../crdt/index.js';
import { newCluster, saveCluster } from '../../node/cluster.js';
import type { RunningNode } from '../../node/daemon.js';
import { startSoloNode } from '../../testnet/local/solo-node.js';
import { stateScoreThresholds } from '../../node/gossip-scoring.js';
import { createHost, loopbackTrust, stateTopic, type Host } from '../../node/host.js';
import { author } from '../unit/crdt/fixtures.js';
import { signedFetch } from '../../cli/client.js';
import { operatorKeyOf } from '../../node/operator-key.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-scoring-'));
const operator = author(1);
const cluster = newCluster([operator.publicKey]);
const topic = stateTopic(cluster.id);
const hosts: Host[] = [];
let node: RunningNode;
let honest: Host;
let flooder: Host;

/**
 * Gossipsub accepts up to 128 RPCs within 1 s from a peer whose last score was not
 * negative before it looks at the score again (ACCEPT_FROM_WHITELIST_DURATION_MS, not
 * exported). A graylist is certain only once that fixed window has passed since the
 * score was seen below the threshold, so this one wait is the library's, not a guess.
 */
const ACCEPT_WINDOW_MS = 1_000;

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function peer(connectionGater?: ConnectionGater): Promise<Host> {
  const host = await createHost({
    privateKey: await generateKeyPair('Ed25519'),
    psk: cluster.psk,
    clusterId: cluster.id,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    ...loopbackTrust,
    ...(connectionGater ? { connectionGater } : {}),
  });
  hosts.push(host);
  host.services.pubsub.subscribe(topic);
  await host.dial(multiaddr(node.listenAddrs[0]!));
  await until('the node in the peer’s view of the topic', () => host.services.pubsub.getSubscribers(topic).some((p) => p.toString() === node.peerId));
  return host;
}

test.before(async () => {
  saveCluster(dir, cluster);
  node = await startSoloNode(dir);
  honest = await peer();
  // The flooder talks to the node alone: were it connected to the honest peer (the DHT
  // may introduce them), its deltas could reach the node relayed, past the graylist.
  const onlyTheNode = (id: PeerId): boolean => id.toString() !== node.peerId;
  flooder = await peer({ denyDialPeer: onlyTheNode, denyInboundEncryptedConnection: onlyTheNode });
});

test.after(async () => {
  await Promise.allSettled(hosts.map((h) => h.stop()));
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Reads of the node's API are signed like any request. */
const fetchAs = signedFetch(operatorKeyOf(operator.secret, 'test operator'));
const status = async (): Promise<{ state: { rejected: Record<string, number> } }> => (await fetchAs(`${node.apiUrl}/v1/status`)).json() as never;
const rejectedCount = async (): Promise<number> => Object.values((await status()).state.rejected).reduce((a, b) => a + b, 0);
const objectExists = async (name: string): Promise<boolean> => (await fetchAs(`${node.apiUrl}/v1/objects/Workload/default/${name}`)).status === 200;
const score = (host: Host): number => node.gossipScore(host.peerId.toString());

const write = (seq: number, name: string): Delta =>
  signDelta(
    {
      v: 1,
      cluster: cluster.id,
      author: operator.publicKey,
      seq,
      hlc: { wallMs: Date.now(), counter: 0 },
      ops: [{ key: `Workload/default/${name}`, set: { 'spec.image': 'busybox' } }],
    },
    operator.secret,
  );

function forged(seq: number): Delta {
  const delta = write(seq, `forged-${seq}`);
  return { ...delta, sig: delta.sig.replace(/^./, delta.sig.startsWith('0') ? '1' : '0') };
}

test('a peer that floods rejected deltas is graylisted: its valid deltas are dropped while an honest peer’s merge', async () => {
  const burst = [...[1, 2, 3, 4, 5].map((seq) => encodeDelta(forged(seq))), ...['garbage', '{"not":"a delta"}', '[]'].map((text) => new TextEncoder().encode(text))];
  for (const bytes of burst) await flooder.services.pubsub.publish(topic, bytes);
  await until('the node to reject the whole burst', async () => (await rejectedCount()) >= burst.length);
  await until('the flooder’s score to fall below the graylist threshold', () => score(flooder) < stateScoreThresholds.graylistThreshold);
  await delay(ACCEPT_WINDOW_MS);

  // Published first, so by the time the honest peer's delta has merged the flooder's
  // would have too, had the node not dropped it.
  await flooder.services.pubsub.publish(topic, encodeDelta(write(10, 'from-flooder')));
  await honest.services.pubsub.publish(topic, encodeDelta(write(11, 'from-honest')));
  await until('the honest peer’s delta to merge', () => objectExists('from-honest'));
  assert.not.ok(await objectExists('from-flooder'), 'the graylisted peer’s valid delta is dropped');
  assert.ok(score(flooder) < stateScoreThresholds.graylistThreshold, 'the flooder stays graylisted');
  assert.ok(score(honest) >= 0, `the honest peer is not penalised (score ${score(honest)})`);
});

test.run();

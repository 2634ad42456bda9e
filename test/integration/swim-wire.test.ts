import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newCluster, saveCluster } from '../../node/cluster.js';
import type { RunningNode } from '../../node/daemon.js';
import { startSoloNode } from '../../testnet/local/solo-node.js';
import { createHost, loopbackTrust, type Host } from '../../node/host.js';
import { SWIM_PROTOCOL } from '../../node/frame-transport.js';
import { SWIM_WIRE_VERSION, swimConfig } from '../../protocol/swim/index.js';
import { poll } from '../../testnet/poll.js';
import { signedFetch } from '../../cli/client.js';
import { operatorKeyOf } from '../../node/operator-key.js';
import { author } from '../unit/crdt/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-wire-'));
const operator = author(1);
const cluster = newCluster([operator.publicKey]);
/** Reads of the node's API are signed like any request. */
const fetchAs = signedFetch(operatorKeyOf(operator.secret, 'test operator'));
let node: RunningNode;
let raw: Host;

test.before(async () => {
  saveCluster(dir, cluster);
  node = await startSoloNode(dir);
  raw = await createHost({ privateKey: await generateKeyPair('Ed25519'), psk: cluster.psk, clusterId: cluster.id, listen: ['/ip4/127.0.0.1/tcp/0'], ...loopbackTrust });
});

test.after(async () => {
  await raw?.stop();
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function sendFrame(bytes: Uint8Array): Promise<void> {
  const stream = await raw.dialProtocol(multiaddr(node.listenAddrs[0]!), SWIM_PROTOCOL);
  await lpStream(stream)
    .write(bytes)
    .catch(() => undefined);
  await stream.close().catch(() => undefined);
}

const status = async (): Promise<{ swim: { dropped: Record<string, number>; streams: Record<string, number> } }> => (await fetchAs(`${node.apiUrl}/v1/status`)).json() as never;
const memberIds = async (): Promise<string[]> => ((await (await fetchAs(`${node.apiUrl}/v1/nodes`)).json()) as { id: string }[]).map((m) => m.id);

test('malformed and wrong-version SWIM messages from a real peer are dropped, counted, and change no member', async () => {
  const before = await memberIds();
  const utf8 = new TextEncoder();
  await sendFrame(utf8.encode('not json at all'));
  await sendFrame(utf8.encode('{"v":9,"t":"gossip","u":[]}'));
  await sendFrame(utf8.encode(`{"v":${SWIM_WIRE_VERSION},"t":"gossip","u":[["a",1,{"i":"${raw.peerId}","a":"oops","l":{},"c":[1,1],"v":"1"},"00"]]}`));
  // Counted once the node has read all three; a busy host takes longer than any fixed wait.
  const { dropped } = await poll(
    'the three frames counted',
    async () => {
      const { swim } = await status();
      return (swim.dropped.malformed ?? 0) + (swim.dropped.version ?? 0) + (swim.dropped.invalid ?? 0) >= 3 ? swim : undefined;
    },
    30_000,
  );
  assert.is(dropped.malformed, 1);
  assert.is(dropped.version, 1);
  assert.is(dropped.invalid, 1);
  assert.equal(await memberIds(), before);
});

test('an oversized SWIM frame is refused at the stream, before it is buffered whole', async () => {
  const before = await memberIds();
  await sendFrame(new Uint8Array(swimConfig.local().maxSyncBytes + 1024));
  const oversized = await poll(
    'the oversized frame counted',
    async () => {
      const counted = (await status()).swim.streams.droppedOversized ?? 0;
      return counted > 0 ? counted : undefined;
    },
    30_000,
  );
  assert.is(oversized, 1);
  assert.equal(await memberIds(), before);
});

test('the DHT finds the addresses of a member that was never dialed directly', async () => {
  const third = await createHost({ privateKey: await generateKeyPair('Ed25519'), psk: cluster.psk, clusterId: cluster.id, listen: ['/ip4/127.0.0.1/tcp/0'], ...loopbackTrust });
  try {
    await third.dial(multiaddr(node.listenAddrs[0]!));
    await raw.dial(multiaddr(node.listenAddrs[0]!));
    const deadline = Date.now() + 10_000;
    let found: string[] = [];
    while (found.length === 0 && Date.now() < deadline) {
      try {
        const info = await raw.peerRouting.findPeer(peerIdFromString(third.peerId.toString()), { signal: AbortSignal.timeout(2_000) });
        found = info.multiaddrs.map((a) => a.toString());
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    assert.ok(
      found.some((a) => third.getMultiaddrs().some((m) => m.toString().startsWith(a))),
      `found ${found.join(', ')}`,
    );
  } finally {
    await third.stop();
  }
});

test.run();

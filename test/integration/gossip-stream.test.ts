import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Connection } from '@libp2p/interface';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newCluster } from '../../node/cluster.js';
import { poll } from '../../testnet/poll.js';
import { createHost, loopbackTrust, stateTopic, type Host } from '../../node/host.js';
import { author } from '../unit/crdt/fixtures.js';

const cluster = newCluster([author(1).publicKey]);
const topic = stateTopic(cluster.id);
const hosts: Host[] = [];
const WAIT_MS = 20_000;

const host = async (): Promise<Host> => {
  const h = await createHost({ privateKey: await generateKeyPair('Ed25519'), psk: cluster.psk, clusterId: cluster.id, listen: ['/ip4/127.0.0.1/tcp/0'], ...loopbackTrust });
  hosts.push(h);
  h.services.pubsub.subscribe(topic);
  return h;
};

const carriesGossipOut = (c: Connection): boolean => c.streams.some((s) => s.protocol.startsWith('/meshsub/') && s.direction === 'outbound');

test.after(async () => {
  await Promise.allSettled(hosts.map((h) => h.stop()));
});

test("a's gossip reaches b again after the connection that carried it closes while another to b stays open", async () => {
  const [a, b] = [await host(), await host()];
  // Gossipsub hears of a connection at its identify: the close must come after both.
  const identified = new Set<string>();
  a.addEventListener('peer:identify', (event) => identified.add(event.detail.connection.id));
  await a.dial(b.getMultiaddrs()[0] as never);
  // Both ends dialed, as two members do when one joins: libp2p keeps both connections.
  await b.dial(a.getMultiaddrs()[0] as never, { force: true });
  await poll('two identified connections between them', async () => (a.getConnections(b.peerId).filter((c) => identified.has(c.id)).length === 2 ? true : undefined), WAIT_MS);
  const carrying = await poll("the connection with a's gossip stream to b", async () => a.getConnections(b.peerId).find(carriesGossipOut), WAIT_MS);
  const received: string[] = [];
  b.services.pubsub.addEventListener('message', (event) => {
    received.push(new TextDecoder().decode(event.detail.data));
  });

  await carrying.close();
  assert.is(a.getConnections(b.peerId).length, 1, 'the other connection stays');
  // Published again and again (a message id is its bytes' digest): the first to arrive ends the wait.
  let n = 0;
  await poll(
    'b to receive what a publishes',
    async () => {
      await a.services.pubsub.publish(topic, new TextEncoder().encode(`after the close ${n++}`));
      return received.length > 0 ? true : undefined;
    },
    WAIT_MS,
  );
  assert.ok(a.getConnections(b.peerId).some(carriesGossipOut), 'a has a gossip stream to b on the connection that stayed');
});

test.run();

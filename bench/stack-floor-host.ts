import '../node/polyfill.js';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import { createInterface } from 'node:readline';
import { createHost, loopbackTrust, stateTopic, usageTopic } from '../node/host.js';

/**
 * One process of `npm run bench:stack-floor`: a libp2p host exactly as a Shoal node makes
 * it (node/host.ts: TCP, the private network, noise, yamux, identify, ping, AutoNAT, the
 * relay, DCUtR, kad-dht, gossipsub on the cluster's two topics), and nothing of Shoal's
 * own. It prints its address, then dials every address it reads on stdin, and prints
 * `peers N` when that count changes.
 */
const CLUSTER = 'floor';
const host = await createHost({
  privateKey: await generateKeyPair('Ed25519'),
  psk: Buffer.from(process.env.FLOOR_PSK ?? '', 'base64'),
  clusterId: CLUSTER,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  ...loopbackTrust,
});
for (const topic of [stateTopic(CLUSTER), usageTopic(CLUSTER)]) host.services.pubsub.subscribe(topic);
console.log(host.getMultiaddrs()[0]?.toString());
// The parent reports how many peers each host was connected to in the window.
const tell = (): void => console.log(`peers ${host.getPeers().length}`);
host.addEventListener('peer:connect', tell);
host.addEventListener('peer:disconnect', tell);
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== '') await host.dial(multiaddr(line.trim())).catch((e: unknown) => console.error(String(e)));
}

import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { gossipsub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import type { ConnectionGater, PrivateKey } from '@libp2p/interface';
import { kadDHT, removePublicAddressesMapper } from '@libp2p/kad-dht';
import { ping } from '@libp2p/ping';
import { preSharedKey } from '@libp2p/pnet';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';

export interface HostOptions {
  privateKey: PrivateKey;
  /** The cluster's private-network key (swarm.key bytes): peers without it cannot connect. */
  psk: Uint8Array;
  clusterId: string;
  listen: string[];
  /**
   * Networks (multiaddrs with /ipcidr) whose peers skip the per-IP inbound connection
   * rate limit (5 per second per IP by default), so many nodes behind one address,
   * as on a loopback or single-host testnet, can all join at once.
   */
  trustedNetworks: readonly string[];
  /**
   * IPs exempt from gossipsub's IP-colocation penalty, which otherwise scores down more
   * than 10 peers sharing an address; real deployments keep the penalty.
   */
  colocationWhitelist: readonly string[];
  connectionGater?: ConnectionGater;
}

export const loopbackTrust = {
  trustedNetworks: ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128'],
  colocationWhitelist: ['127.0.0.1', '::1'],
} as const;

export async function createHost(options: HostOptions) {
  return createLibp2p({
    privateKey: options.privateKey,
    addresses: { listen: options.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionProtector: preSharedKey({ psk: options.psk }),
    connectionManager: { allow: [...options.trustedNetworks] },
    ...(options.connectionGater ? { connectionGater: options.connectionGater } : {}),
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: `/shoal/${options.clusterId}/kad/1.0.0`,
        clientMode: false,
        peerInfoMapper: removePublicAddressesMapper,
      }),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        scoreParams: { IPColocationFactorWhitelist: new Set(options.colocationWhitelist) },
      }),
    },
  });
}

export type Host = Awaited<ReturnType<typeof createHost>>;

import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { autoNAT } from '@libp2p/autonat';
import { circuitRelayServer, circuitRelayTransport, type CircuitRelayService } from '@libp2p/circuit-relay-v2';
import { gossipsub, type GossipSub, type GossipSubComponents } from '@libp2p/gossipsub';
import { identify, type Identify } from '@libp2p/identify';
import type { ConnectionGater, Libp2p, PrivateKey, Stream } from '@libp2p/interface';
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht';
import { ping, type Ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import { BlockList, isIP } from 'node:net';
import { UserError } from './errors.js';
import { privateNetwork } from './private-network.js';
import { fastMessageId } from './gossip-message-id.js';
import { repairGossipStreams } from './gossip-stream-repair.js';
import { freeTcpPort, holePunching, type HolePunch } from './hole-punch.js';
import { gossipScoreParams, stateScoreThresholds } from './gossip-scoring.js';
import { MAX_RESERVATIONS, RELAYED_CONNECTION_BYTES, RELAYED_CONNECTION_MS } from '../protocol/relay/policy.js';

export interface HostOptions {
  privateKey: PrivateKey;
  /** The cluster's private-network key (swarm.key bytes): peers without it cannot connect. */
  psk: Uint8Array;
  /** Scopes the DHT protocol and names the state topic that gossipsub scores. */
  clusterId: string;
  /** Multiaddrs, e.g. /ip4/0.0.0.0/tcp/4001. */
  listen: string[];
  /**
   * Addresses others reach this node at, in place of its listen addresses (a public address,
   * a port forward). A node without them may be behind NAT: it also listens through a
   * relay, a slot on a reachable member.
   */
  announce?: string[];
  /**
   * IPs or CIDRs (10.0.0.0/24) whose peers skip the connection manager's inbound limits:
   * 5 new connections per second per IP, 10 pending handshakes, maxConnections, pruning.
   * Many nodes behind one address, as on a single-host testnet, need this to join at
   * once. Default: loopback.
   */
  trustedNetworks?: readonly string[];
  /**
   * IPs or CIDRs exempt from gossipsub's IP-colocation penalty, which scores down peers
   * once more than 10 share an address. Real deployments keep the penalty: it is what
   * makes a Sybil attack from one machine expensive. Default: loopback.
   */
  colocationWhitelist?: readonly string[];
  /** Partitions for fault injection, and the relay's admission checks (node/relay-gate.ts). */
  connectionGater?: ConnectionGater;
}

/** How long a NATed node's request for a relay slot may take: the relay holds a joiner's until it is admitted (protocol/relay/policy.ts). */
const RESERVATION_TIMEOUT_MS = 20_000;
/** Hop requests (reserve, connect) one peer may have open at a relay at once. */
const MAX_HOP_STREAMS = 16;

/** How often the connection monitor pings each connection (libp2p's default: 10 s). */
const CONNECTION_PING_MS = 30_000;

/** How long a provider record lives at the nodes that store it. */
const PROVIDER_RECORD_SECONDS = 3_600;

/** The defaults: loopback only, so single-host testnets mesh and real networks keep both limits. */
export const loopbackTrust = {
  trustedNetworks: ['127.0.0.0/8', '::1'],
  colocationWhitelist: ['127.0.0.0/8', '::1'],
} as const satisfies Pick<HostOptions, 'trustedNetworks' | 'colocationWhitelist'>;

/** The gossipsub topic that carries a cluster's signed state deltas. */
export const stateTopic = (clusterId: string): string => `/shoal/${clusterId}/deltas/1`;
/** Where nodes share what their replicas use (node/usage): it changes every few seconds, so it is no document write. */
export const usageTopic = (clusterId: string): string => `/shoal/${clusterId}/usage/1`;

/**
 * The router gossipsub builds also answers getScore and holds its outbound streams by
 * peer, which its exported interface omits: a node reads the score to tell whether a
 * peer is graylisted, and the streams to tell whether its gossip to a peer still has one
 * (node/gossip-stream-repair.ts).
 */
export type ScoredGossipSub = GossipSub & { getScore(peerId: string): number; readonly streamsOutbound: ReadonlyMap<string, { readonly rawStream: Stream }> };

// A type alias, not an interface: Libp2p's ServiceMap needs the implicit index signature.
export type HostServices = {
  identify: Identify;
  ping: Ping;
  dht: KadDHT;
  pubsub: ScoredGossipSub;
  autoNAT: unknown;
  relay: CircuitRelayService;
  dcutr: HolePunch;
};

export type Host = Libp2p<HostServices>;

export async function createHost(options: HostOptions): Promise<Host> {
  const host = await createLibp2pHost(options);
  repairGossipStreams(host);
  return host;
}

async function createLibp2pHost(options: HostOptions): Promise<Host> {
  const trusted = (options.trustedNetworks ?? loopbackTrust.trustedNetworks).map(parseNetwork);
  const colocation = (options.colocationWhitelist ?? loopbackTrust.colocationWhitelist).map(parseNetwork);
  const announced = options.announce !== undefined && options.announce.length > 0;
  const punchPort = await freeTcpPort();
  return createLibp2p({
    privateKey: options.privateKey,
    // `/p2p-circuit`: one reservation on a relay the node finds among its connected peers.
    addresses: announced ? { listen: options.listen, announce: options.announce } : { listen: [...options.listen, '/p2p-circuit'] },
    transports: [tcp(), circuitRelayTransport({ reservationCompletionTimeout: RESERVATION_TIMEOUT_MS })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionProtector: privateNetwork(options.psk),
    connectionManager: { allow: trusted.map(({ family, address, prefix }) => `/${family === 'ipv4' ? 'ip4' : 'ip6'}/${address}/ipcidr/${prefix}`) },
    // A ping stream on every connection, to find one that died without a word, every 30 s
    // instead of 10: SWIM already probes each member every second or two, and each ping
    // was a stream opened at both ends (docs/benchmarks.md, "Footprint").
    connectionMonitor: { pingInterval: CONNECTION_PING_MS },
    ...(options.connectionGater ? { connectionGater: options.connectionGater } : {}),
    services: {
      identify: identify(),
      ping: ping(),
      // Confirms the addresses peers observe (a public IP in front of the node) by asking them to dial back.
      autoNAT: autoNAT(),
      relay: circuitRelayServer({
        maxInboundHopStreams: MAX_HOP_STREAMS,
        reservations: { maxReservations: MAX_RESERVATIONS, defaultDurationLimit: RELAYED_CONNECTION_MS, defaultDataLimit: RELAYED_CONNECTION_BYTES },
      }),
      // Hole punching: a relayed connection's ends dial each other at once, and keep the direct connection if the NATs let it through.
      dcutr: holePunching(punchPort),
      dht: kadDHT({
        protocol: `/shoal/${options.clusterId}/kad/1.0.0`,
        clientMode: false,
        // Every address a member has: private ones on a LAN, public ones, relayed ones for a
        // member behind NAT. (libp2p's LAN mapper dropped public addresses: a member with a
        // public IP never entered the routing table, and a NATed node's provider records
        // reached nobody.)
        peerInfoMapper: passthroughMapper,
        // Provider records name which node holds an image (node/content): an hour's life,
        // renewed half an hour before it ends, so a node that dropped an image, or left,
        // stops being named within the hour rather than the default two days.
        providers: { provideValidity: PROVIDER_RECORD_SECONDS },
        reprovide: { validity: PROVIDER_RECORD_SECONDS * 1000, threshold: (PROVIDER_RECORD_SECONDS * 1000) / 2, interval: 10 * 60_000 },
      }),
      pubsub: withScore(
        gossipsub({
          // A write is stored locally and repaired by anti-entropy, so publishing while
          // alone is normal, not an error.
          allowPublishToZeroTopicPeers: true,
          // Members behind NAT may be reached only through a relay.
          runOnLimitedConnection: true,
          fastMsgIdFn: fastMessageId,
          scoreParams: gossipScoreParams(stateTopic(options.clusterId), usageTopic(options.clusterId), new NetworkSet(colocation)),
          scoreThresholds: stateScoreThresholds,
        }),
      ),
    },
  });
}

function withScore(factory: (components: GossipSubComponents) => GossipSub): (components: GossipSubComponents) => ScoredGossipSub {
  return (components) => {
    const router = factory(components);
    if (!isScoredGossipSub(router)) throw new Error('this @libp2p/gossipsub has no getScore or streamsOutbound');
    return router;
  };
}

const isScoredGossipSub = (router: GossipSub): router is ScoredGossipSub =>
  'getScore' in router && typeof router.getScore === 'function' && 'streamsOutbound' in router && router.streamsOutbound instanceof Map;

interface Network {
  family: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
}

function parseNetwork(text: string): Network {
  const [address = '', bits, ...rest] = text.split('/');
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (version === 0 || rest.length > 0 || !(prefix >= 0 && prefix <= max)) {
    throw new UserError(`${text} is not an IP address or a CIDR network such as 10.0.0.0/24`);
  }
  return { family: version === 4 ? 'ipv4' : 'ipv6', address, prefix };
}

/**
 * Gossipsub's whitelist is a Set of exact IPs that it only ever asks has(ip); answering
 * by network membership lets one entry cover a whole testnet subnet.
 */
class NetworkSet extends Set<string> {
  private readonly networks = new BlockList();

  constructor(networks: readonly Network[]) {
    super();
    for (const { family, address, prefix } of networks) this.networks.addSubnet(address, prefix, family);
  }

  override has(ip: string): boolean {
    const version = isIP(ip);
    return version !== 0 && this.networks.check(ip, version === 4 ? 'ipv4' : 'ipv6');
  }
}

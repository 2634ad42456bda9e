import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';

/**
 * Opens a stream of `protocol` to a member, telling the peer store its SWIM addresses first when not connected.
 * A member behind NAT may be reached only through a relay, so the stream may run on a relayed
 * (limited) connection; its handler must accept those too (`runOnLimitedConnection`).
 */
export async function dialMember(
  host: Libp2p,
  member: string,
  addrs: readonly string[],
  protocol: string,
  signal: AbortSignal,
  limits: { maxOutboundStreams?: number } = {},
): Promise<Stream> {
  const peer = peerIdFromString(member);
  if (addrs.length > 0 && host.getConnections(peer).length === 0) await host.peerStore.merge(peer, { multiaddrs: addrs.map((a) => multiaddr(a)) });
  return host.dialProtocol(peer, protocol, { signal, runOnLimitedConnection: true, ...limits });
}

import type { PeerId } from '@libp2p/interface';
import type { Host } from './host.js';

/**
 * Gossipsub opens its one outbound stream to a peer when a connection to the peer is
 * identified, and forgets it when that stream closes; it opens another only at the next
 * identify. Two members usually hold two connections (both dial at once when one joins),
 * so when the one that carried the stream closes (its ping failed, or it was the relayed
 * connection that hole punching replaced) the peer stays connected and this node's
 * gossip to it stops for good, leaving every delta to anti-entropy. Identifying a
 * remaining connection again has gossipsub open a stream on it: libp2p's registrar tells
 * gossipsub of every identify.
 */
export function repairGossipStreams(host: Host): void {
  host.addEventListener('connection:close', (event) => {
    const peer = event.detail.remotePeer;
    // The stream's own close may be told after its connection's.
    setImmediate(() => reopenIfLost(host, peer));
  });
}

function reopenIfLost(host: Host, peer: PeerId): void {
  const stream = host.services.pubsub.streamsOutbound.get(peer.toString())?.rawStream;
  if (stream?.status === 'open') return;
  // Still closing: gossipsub forgets it at its close, and only then opens another.
  if (stream !== undefined) {
    stream.addEventListener('close', () => setImmediate(() => reopenIfLost(host, peer)), { once: true });
    return;
  }
  // None left: the peer has gone, and gossipsub's own disconnect handling applies.
  const remaining = host.getConnections(peer).find((c) => c.status === 'open');
  if (remaining === undefined) return;
  // A failed identify closes nothing; the next close of a connection tries again.
  host.services.identify.identify(remaining).catch(() => undefined);
}

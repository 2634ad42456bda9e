import type { ConnectionGater, Libp2p, PeerId } from '@libp2p/interface';
import { publicKeyOfPeerId } from '../base/peer-id.js';

/**
 * Refuses connections to and from the nodes the document revoked (`shoal node remove`),
 * and aborts those open when a revocation arrives. A removed node that keeps running
 * still holds the cluster key, so the private network lets it in: without this it could
 * go on accusing members in SWIM, answering auctions and asking for anti-entropy walks,
 * though every delta it signs is refused.
 */
export class RevokedGate {
  readonly counters = { refused: 0, closed: 0 };

  constructor(private readonly isRevoked: (publicKey: string) => boolean) {}

  readonly gater: Pick<ConnectionGater, 'denyDialPeer' | 'denyInboundEncryptedConnection' | 'denyOutboundEncryptedConnection'> = {
    denyDialPeer: (peer) => this.refuse(peer),
    denyInboundEncryptedConnection: (peer) => this.refuse(peer),
    denyOutboundEncryptedConnection: (peer) => this.refuse(peer),
  };

  /** Aborts the connections of peers revoked since they opened: call when the document changed. */
  closeRevoked(host: Pick<Libp2p, 'getConnections'>): void {
    for (const connection of host.getConnections()) {
      if (!this.revoked(connection.remotePeer)) continue;
      this.counters.closed++;
      connection.abort(new Error('the peer was removed from the cluster'));
    }
  }

  private revoked(peer: PeerId): boolean {
    const key = publicKeyOfPeerId(peer.toString());
    return key !== undefined && this.isRevoked(key);
  }

  private refuse(peer: PeerId): boolean {
    if (!this.revoked(peer)) return false;
    this.counters.refused++;
    return true;
  }
}

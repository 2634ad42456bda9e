import type { ConnectionGater, PeerId } from '@libp2p/interface';
import { publicKeyOfPeerId } from '../base/peer-id.js';
import { type RelayPeer, relayedConnectionAllowed, reservationVerdict } from '../protocol/relay/policy.js';

export interface RelayGateCounters {
  /** Reservations granted to admitted members. */
  reservationsGranted: number;
  /** Reservations refused: removed nodes, joiners not admitted in time, requests past the waiting bound. */
  reservationsRefused: number;
  /** Relayed connections refused, at the relay or at their end, because a party is not admitted. */
  relayedConnectionsRefused: number;
}

export interface RelayGateOptions {
  /** The document's verdict on a node's public key (crdt: admitted and not revoked; revoked). */
  isAdmitted(publicKey: string): boolean;
  isRevoked(publicKey: string): boolean;
  /** How often a waiting reservation looks at the document again. */
  recheckMs?: number;
}

/** The connection gater's relay checks (protocol/relay/policy.ts applied to the document): admitted members only. */
export class RelayGate {
  readonly counters: RelayGateCounters = { reservationsGranted: 0, reservationsRefused: 0, relayedConnectionsRefused: 0 };
  private waiting = 0;

  constructor(private readonly options: RelayGateOptions) {}

  readonly gater: Pick<ConnectionGater, 'denyInboundRelayReservation' | 'denyOutboundRelayedConnection' | 'denyInboundRelayedConnection'> = {
    denyInboundRelayReservation: async (peer) => !(await this.reserve(peer)),
    // At the relay: who asks to be relayed, and to whom.
    denyOutboundRelayedConnection: (source, target) => this.refuseUnless(source, target),
    // At the end: through which relay, and from whom.
    denyInboundRelayedConnection: (relay, remote) => this.refuseUnless(relay, remote),
  };

  private peer(id: PeerId): RelayPeer {
    const key = publicKeyOfPeerId(id.toString());
    return key === undefined ? { admitted: false, revoked: true } : { admitted: this.options.isAdmitted(key), revoked: this.options.isRevoked(key) };
  }

  private refuseUnless(...peers: PeerId[]): boolean {
    if (relayedConnectionAllowed(...peers.map((p) => this.peer(p)))) return false;
    this.counters.relayedConnectionsRefused++;
    return true;
  }

  private async reserve(peer: PeerId): Promise<boolean> {
    const startedAt = performance.now();
    let verdict = reservationVerdict(this.peer(peer), 0, this.waiting);
    if (verdict === 'wait') {
      this.waiting++;
      try {
        while (verdict === 'wait') {
          await new Promise((resolve) => setTimeout(resolve, this.options.recheckMs ?? 500));
          verdict = reservationVerdict(this.peer(peer), performance.now() - startedAt, this.waiting);
        }
      } finally {
        this.waiting--;
      }
    }
    if (verdict === 'grant') this.counters.reservationsGranted++;
    else this.counters.reservationsRefused++;
    return verdict === 'grant';
  }
}

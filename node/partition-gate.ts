import type { ConnectionGater, Libp2p, PeerId } from '@libp2p/interface';

/**
 * Fault injection for tests and testnets (`shoal start --enable-fault-injection`): a
 * libp2p connection gater that refuses the listed peers, so real processes on one host
 * can be split into sides of a partition and healed again.
 */
export class PartitionGate {
  private readonly blocked = new Set<string>();

  readonly gater: ConnectionGater = {
    denyDialPeer: (peer: PeerId) => this.blocked.has(peer.toString()),
    denyInboundEncryptedConnection: (peer: PeerId) => this.blocked.has(peer.toString()),
    denyOutboundEncryptedConnection: (peer: PeerId) => this.blocked.has(peer.toString()),
  };

  /**
   * Cuts this node off from `peers`, aborting the connections it has to them: a network
   * that splits lets no stream finish (a graceful close would wait for open ones, such
   * as an image transfer, to end).
   */
  block(host: Libp2p, peers: readonly string[]): void {
    for (const peer of peers) this.blocked.add(peer);
    for (const c of host.getConnections()) if (this.blocked.has(c.remotePeer.toString())) c.abort(new Error('partitioned'));
  }

  heal(): void {
    this.blocked.clear();
  }

  list(): string[] {
    return [...this.blocked];
  }
}

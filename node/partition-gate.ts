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

  /** Cuts this node off from `peers`, closing the connections it has to them. */
  async block(host: Libp2p, peers: readonly string[]): Promise<void> {
    for (const peer of peers) this.blocked.add(peer);
    await Promise.all(
      host
        .getConnections()
        .filter((c) => this.blocked.has(c.remotePeer.toString()))
        .map((c) => c.close().catch(() => c.abort(new Error('partitioned')))),
    );
  }

  heal(): void {
    this.blocked.clear();
  }

  list(): string[] {
    return [...this.blocked];
  }
}

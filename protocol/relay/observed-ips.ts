/** How many peers' word is kept: a bound on memory, and the newest words win. */
const MAX_PEERS = 64;

/**
 * What peers say this node's public IP is (the address they see its connection come
 * from), one word per peer, the newest kept. A node behind NAT cannot see its own public
 * IP; it offers it to a hole punch (node/hole-punch.ts). A member that lies has one word
 * like any other, so it cannot outvote the peers that tell the truth.
 */
export class ObservedIps {
  private readonly byPeer = new Map<string, string>();

  constructor(private readonly maxPeers = MAX_PEERS) {}

  observe(peer: string, ip: string): void {
    this.byPeer.delete(peer);
    this.byPeer.set(peer, ip);
    if (this.byPeer.size > this.maxPeers) {
      const oldest = this.byPeer.keys().next().value;
      if (oldest !== undefined) this.byPeer.delete(oldest);
    }
  }

  /** At most `count` IPs, those most peers name first; on a tie, the one named last. */
  best(count: number): string[] {
    const votes = new Map<string, { peers: number; last: number }>();
    let order = 0;
    for (const ip of this.byPeer.values()) {
      const tally = votes.get(ip) ?? { peers: 0, last: 0 };
      votes.set(ip, { peers: tally.peers + 1, last: order++ });
    }
    return [...votes]
      .sort(([, a], [, b]) => b.peers - a.peers || b.last - a.last)
      .slice(0, count)
      .map(([ip]) => ip);
  }
}

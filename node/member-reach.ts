import type { Connection, Libp2p } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { type Reach, reachOf } from '../protocol/relay/reach.js';

/**
 * Which connections hole punching made. libp2p marks a relayed connection (not `direct`)
 * but not a punched one, and its direction says nothing (the side that dials as the
 * multistream listener counts it inbound). DCUtR opens the direct connection while the
 * relayed one is still open and closes that after, so a direct connection that opens
 * beside a relayed one to the same peer is its doing (or the unilateral upgrade's, a
 * direct dial to a NATed peer's confirmed public address: an upgrade all the same).
 */
export class MemberReach {
  private readonly punched = new Set<string>();

  constructor(private readonly host: Libp2p) {}

  start(): void {
    this.host.addEventListener('connection:open', this.opened);
    this.host.addEventListener('connection:close', this.closed);
  }

  stop(): void {
    this.host.removeEventListener('connection:open', this.opened);
    this.host.removeEventListener('connection:close', this.closed);
  }

  /** How this node reaches `peerId` now; undefined with no connection open to it. */
  reach(peerId: string): Reach | undefined {
    const open = this.host.getConnections(peerIdFromString(peerId)).filter((c) => c.status === 'open');
    return reachOf(open.map((c) => ({ direct: c.direct, punched: this.punched.has(c.id) })));
  }

  private readonly opened = (event: CustomEvent<Connection>): void => {
    const connection = event.detail;
    if (!connection.direct) return;
    if (this.host.getConnections(connection.remotePeer).some((c) => c.id !== connection.id && !c.direct)) this.punched.add(connection.id);
  };

  private readonly closed = (event: CustomEvent<Connection>): void => {
    this.punched.delete(event.detail.id);
  };
}

import { dcutr, type DCUtRServiceComponents } from '@libp2p/dcutr';
import { isStartable, serviceDependencies, type Connection, type Libp2pEvents, type PeerId, type Startable, type TypedEventTarget } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { ipPortToMultiaddr, isPrivate, tryGetNetConfig } from '@libp2p/utils';
import { isMultiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createServer } from 'node:net';
import { ObservedIps } from '../protocol/relay/observed-ips.js';
import { PUNCHES_PER_PEER, PunchBudget } from '../protocol/relay/punch-budget.js';

/** The public IPs a node offers a hole punch: the one its peers agree on, and a second in case they differ. */
const OFFERED_IPS = 2;
/**
 * The most addresses one punch dials. The peer names them (a DCUtR message holds up to
 * 4 KB of them, some 80), and each is a connection attempt from this node: a member
 * could otherwise have it knock on 80 hosts at once. A NATed node offers 2 or 3.
 */
const MAX_DIALED_ADDRESSES = 4;

export type HolePunchComponents = DCUtRServiceComponents & { events: TypedEventTarget<Libp2pEvents>; peerId: PeerId };

export interface HolePunchCounters {
  /** Punches this end dialled in (both ends of a punch dial); each succeeded or failed. */
  attempts: number;
  succeeded: number;
  failed: number;
  /** Punches refused: to a peer this node holds no relayed connection to, or past the peer's budget this minute (protocol/relay/punch-budget.ts). */
  refused: number;
  /** Addresses a peer offered that were not dialled: past MAX_DIALED_ADDRESSES, or naming another peer. */
  addressesDropped: number;
}

type OpenConnection = DCUtRServiceComponents['connectionManager']['openConnection'];

/**
 * Hole punching (DCUtR) between two nodes behind NAT, which libp2p's DCUtR alone cannot
 * do over TCP (libp2p 3.3): it dials from an ephemeral port, which a NAT maps to a port
 * nobody can predict; it offers only addresses AutoNAT confirmed, which a NAT never
 * confirms (and identify drops every observed TCP address); and its responder's role
 * never reaches the upgrader (below). Node 20 cannot dial from the listening port (no
 * SO_REUSEPORT), so both ends dial from a port of their own, `port`, and offer the
 * public IP their peers see them at with that port: a NAT that keeps the source port,
 * as Linux's MASQUERADE does when it can, maps it to the same number, and the two dials
 * meet as a TCP simultaneous open. DCUtR's protocol, timing and roles are libp2p's own;
 * only what it offers and how it dials change. It works when both NATs keep the source
 * port and drop, rather than refuse, a connection nobody asked for (a refusal kills the
 * other end's dial before its own goes out).
 */
export class HolePunch implements Startable {
  readonly counters: HolePunchCounters = { attempts: 0, succeeded: 0, failed: 0, refused: 0, addressesDropped: 0 };
  readonly [serviceDependencies]: string[] = ['@libp2p/identify'];
  private readonly observed = new ObservedIps();
  private readonly budget = new PunchBudget();
  /** libp2p's DCUtR, which runs the protocol; this class decides what it offers and how it dials. */
  private readonly protocol: Startable;

  constructor(
    private readonly components: HolePunchComponents,
    private readonly port: number,
  ) {
    // Identify tells the address a peer sees this node's connection come from (a relayed
    // one shows the relay's). The listener lives as long as the host's event bus.
    components.events.addEventListener('peer:identify', ({ detail }) => {
      if (detail.observedAddr === undefined || !detail.connection.direct || isPrivate(detail.observedAddr)) return;
      const seen = tryGetNetConfig(detail.observedAddr);
      if (seen?.type === 'ip4' || seen?.type === 'ip6') this.observed.observe(detail.peerId.toString(), seen.host);
    });
    // DCUtR calls only getAddresses and openConnection of these two; proxies keep every
    // other member as libp2p's, without restating the interfaces.
    const service = dcutr()({
      logger: components.logger,
      peerStore: components.peerStore,
      registrar: components.registrar,
      transportManager: components.transportManager,
      addressManager: new Proxy(components.addressManager, {
        get: (target, property, receiver) => (property === 'getAddresses' ? () => [...target.getAddresses(), ...this.offered()] : Reflect.get(target, property, receiver)),
      }),
      connectionManager: new Proxy(components.connectionManager, {
        get: (target, property, receiver) => (property === 'openConnection' ? this.dial : Reflect.get(target, property, receiver)),
      }),
    });
    if (!isStartable(service)) throw new Error('this @libp2p/dcutr makes a service that cannot start');
    this.protocol = service;
  }

  async start(): Promise<void> {
    await this.protocol.start();
  }

  async stop(): Promise<void> {
    await this.protocol.stop();
  }

  private relayedTo(peer: string): boolean {
    try {
      return this.components.connectionManager.getConnections(peerIdFromString(peer)).some((c) => !c.direct);
    } catch {
      return false; // not a peer id
    }
  }

  /** Where the other end should dial: the public IPs peers see, at the punch port. */
  private offered(): Multiaddr[] {
    return this.observed.best(OFFERED_IPS).map((ip) => ipPortToMultiaddr(ip, this.port).encapsulate(`/p2p/${this.components.peerId}`));
  }

  /**
   * DCUtR's dial, past the connection manager, whose dial queue keeps none of a dial's
   * options but the signal and priority: DCUtR's `initiator: false` (the responder's
   * role in a simultaneous open) would never reach the upgrader, nor a local port the
   * socket. The transport manager hands both to the TCP transport, which hands its
   * options to net.connect; the connection is announced and tracked like any other (the
   * upgrader's connection:open). The addresses are dialled at once: the first connection
   * wins, any other is closed.
   */
  private readonly dial: OpenConnection = async (target, options) => {
    const offered = Array.isArray(target) ? target : isMultiaddr(target) ? [target] : [];
    if (offered.length === 0) throw new Error('a hole punch dials addresses, not a peer id');
    // DCUtR names the peer in each address it dials (a /p2p/ component), as the peer
    // wrote it: a punch dials only addresses that name one member this node holds a
    // relayed connection to, within that member's budget.
    const peer = peerOf(offered[0]);
    if (peer === undefined || !this.relayedTo(peer) || !this.budget.take(peer, Date.now())) {
      this.counters.refused++;
      throw new Error(`hole punch to ${peer ?? 'an unnamed peer'} refused: no relayed connection to it, or ${PUNCHES_PER_PEER} punches this minute already`);
    }
    const named = offered.filter((address) => peerOf(address) === peer).slice(0, MAX_DIALED_ADDRESSES);
    this.counters.addressesDropped += offered.length - named.length;
    this.counters.attempts++;
    // Each dial gets a signal of its own that follows DCUtR's only while it dials: the
    // upgraded connection keeps listening to the signal it was dialled with, and DCUtR's
    // fires 5 s after the punch began (its time-out), which aborted the punched
    // connection with it. (libp2p's dial queue gives each dial such a signal.)
    const dials = named.map((address) => {
      const dialing = new AbortController();
      const follow = (): void => dialing.abort(options?.signal?.reason);
      options?.signal?.addEventListener('abort', follow, { once: true });
      // The TCP transport hands its dial options to net.connect: localPort binds the punch port.
      const fromPunchPort = { ...options, signal: dialing.signal, localPort: this.port };
      const dial = this.components.transportManager.dial(address, fromPunchPort);
      const settled = dial.finally(() => options?.signal?.removeEventListener('abort', follow));
      return { dial: settled, dialing };
    });
    let won: { connection: Connection; index: number };
    try {
      won = await Promise.any(dials.map(({ dial }, index) => dial.then((connection) => ({ connection, index }))));
    } catch (err) {
      this.counters.failed++;
      throw err;
    }
    this.counters.succeeded++;
    // The other addresses lost the race: a dial still going is ended, a connection made is closed.
    for (const [index, { dial, dialing }] of dials.entries()) {
      if (index === won.index) continue;
      dialing.abort(new Error('another address won the punch'));
      dial.then(
        (connection) => void connection.close().catch(() => undefined),
        () => undefined,
      );
    }
    return won.connection;
  };
}

const peerOf = (address: Multiaddr | undefined): string | undefined => address?.getComponents().findLast((c) => c.name === 'p2p')?.value;

export const holePunching =
  (port: number) =>
  (components: HolePunchComponents): HolePunch =>
    new HolePunch(components, port);

/** A TCP port free now, for hole punches to dial from (the kernel's pick: nothing else holds it). */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('a TCP server on port 0 has no port');
  return address.port;
}

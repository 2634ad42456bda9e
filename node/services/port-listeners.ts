import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.js';
import type { Service } from '../../protocol/manifests/service.js';
import { portKey, type ListenedPort, type PortOwners } from '../../protocol/services/port-owners.js';
import type { EventLog } from '../event-log.js';
import type { ServiceCatalog } from './catalog.js';
import type { ServiceMesh } from './mesh.js';

const RETRY_MS = 10_000;

/** What a TCP server and a UDP socket both are, as far as a listener's life goes. */
interface Listening {
  once(event: 'listening', listener: () => void): unknown;
  on(event: 'error', listener: (e: NodeJS.ErrnoException) => void): unknown;
  emit(event: 'error', error: unknown): unknown;
  close(callback?: () => void): unknown;
}

/** A port this node should listen on for a service: listening, or why not. */
export interface ListenerState {
  listened: ListenedPort;
  listening: boolean;
  error: string | null;
}

export interface PortListenersOptions {
  /** What the listeners are for, in logs and events: `published` (ingress) or `service` (in-cluster). */
  role: 'published' | 'service';
  /** Which service owns each port on which address (protocol/services/port-owners.ts). */
  owners: (services: readonly Service[]) => PortOwners;
  /** Makes an address this host's before a listener binds it, and lets it go after its last one closed. */
  claim?: (address: string) => Promise<void> | undefined;
  release?: (address: string) => Promise<void> | undefined;
  intervalMs?: number;
}

/**
 * TCP listeners that follow the document: each port a service wants gets one on this
 * node, handing connections to the mesh; a port no service wants any more is closed. A
 * port the node cannot bind, or that another service holds, is an event and a state in
 * `describe service`, never a crash. Used twice: published ports on the publish address,
 * and each service's own ports on the address the node's replicas dial.
 */
export class PortListeners {
  private readonly servers = new Map<string, { server: Listening; state: ListenerState }>();
  /** Ports this node could not bind, kept for `describe` until a later pass binds them. */
  private readonly failed = new Map<string, ListenerState>();
  /** When a port that failed is tried again (host clock, a throttle only): a port held by something else is not asked for every second. */
  private readonly retryAtMs = new Map<string, number>();
  private readonly reported = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: PortListenersOptions,
    private readonly catalog: ServiceCatalog,
    private readonly mesh: ServiceMesh,
    private readonly events: EventLog,
    private readonly log: Logger,
    /** The node's wall clock (node/wall-clock.ts), for its events' times; the retry throttle keeps the host's. */
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.reconcile();
    this.timer = setInterval(() => this.reconcile(), this.options.intervalMs ?? 1_000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.servers.keys()].map((key) => this.close(key)));
  }

  /** This node's listeners, the ports it could not bind, and those it leaves to another service. */
  states(): ListenerState[] {
    const { clashes } = this.options.owners(this.catalog.services());
    return [
      ...[...this.servers.values()].map((s) => s.state),
      ...[...this.failed].filter(([key]) => !this.servers.has(key)).map(([, state]) => state),
      ...clashes.map((c) => ({ listened: c.listened, listening: false, error: `port ${portKey(c.listened)} is taken by ${c.heldBy}` })),
    ];
  }

  /** Opens what the document wants and this node does not listen on yet; closes the rest. */
  reconcile(): void {
    const { owners, clashes } = this.options.owners(this.catalog.services());
    for (const c of clashes)
      this.reportOnce(`clash ${c.listened.service} ${portKey(c.listened)}`, c.listened.service, `${this.options.role} port ${portKey(c.listened)} is taken by ${c.heldBy}`);
    for (const [key, state] of this.failed) {
      if (owners.get(key)?.service === state.listened.service) continue;
      this.failed.delete(key);
      this.retryAtMs.delete(key);
    }
    for (const [key, held] of this.servers) {
      const wanted = owners.get(key);
      if (wanted === undefined || wanted.service !== held.state.listened.service || wanted.servicePort !== held.state.listened.servicePort) void this.close(key);
    }
    for (const [key, listened] of owners) {
      if (this.servers.has(key) || Date.now() < (this.retryAtMs.get(key) ?? 0)) continue;
      void this.open(key, listened);
    }
  }

  private async open(key: string, listened: ListenedPort): Promise<void> {
    const { address } = listened;
    const { server, bind } = this.listener(key, listened);
    const state: ListenerState = { listened, listening: false, error: null };
    this.servers.set(key, { server, state });
    server.once('listening', () => {
      state.listening = true;
      this.failed.delete(key);
      this.retryAtMs.delete(key);
      this.reported.delete(`bind ${listened.service} ${key}`);
      this.log.info({ service: listened.service, port: key, address, role: this.options.role }, 'listening for a service');
    });
    server.on('error', (e: NodeJS.ErrnoException) => {
      state.listening = false;
      state.error = e.code === 'EADDRINUSE' ? `${address}:${listened.port} is in use on this node` : e.message;
      this.failed.set(key, state);
      this.retryAtMs.set(key, Date.now() + RETRY_MS);
      this.reportOnce(`bind ${listened.service} ${key}`, listened.service, `cannot listen on ${this.options.role} port ${key}: ${state.error}`);
      // Tried again on a later pass, once what held the port may have let it go.
      try {
        server.close();
      } catch {
        // A UDP socket whose bind failed is closed already.
      }
      if (this.servers.get(key)?.server === server) this.servers.delete(key);
    });
    try {
      await this.options.claim?.(address);
    } catch (e) {
      server.emit('error', e);
      return;
    }
    if (this.servers.get(key)?.server !== server) return;
    bind();
  }

  /** A TCP server whose connections, or a UDP socket whose datagrams, go to the mesh. */
  private listener(key: string, listened: ListenedPort): { server: Listening; bind: () => void } {
    const { address, port, service, servicePort } = listened;
    if (listened.protocol === 'tcp') {
      // Half-open: a client that ends its side (HTTP/1.0, nc) still gets the answer.
      const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => void this.mesh.route(socket, service, servicePort));
      return { server, bind: () => server.listen({ host: address, port }) };
    }
    const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    socket.on('message', (datagram, client) => this.mesh.relay(socket, key, datagram, client, service, servicePort));
    return { server: socket, bind: () => socket.bind({ address, port }) };
  }

  private async close(key: string): Promise<void> {
    const held = this.servers.get(key);
    this.servers.delete(key);
    if (held === undefined) return;
    await new Promise<void>((resolve) => {
      try {
        held.server.close(() => resolve());
      } catch {
        resolve();
      }
    });
    const { address } = held.state.listened;
    if (![...this.servers.values()].some((s) => s.state.listened.address === address)) await this.options.release?.(address)?.catch(() => undefined);
  }

  private reportOnce(key: string, service: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log.warn({ service }, message);
    this.events.record({ atMs: this.clock.nowMs(), node: this.catalog.self, kind: 'listen-failed', object: `Service/${service}`, message });
  }
}

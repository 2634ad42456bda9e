import { createServer, type Server } from 'node:net';
import type { Logger } from 'pino';
import { publishedPorts, type PublishedPort } from '../../protocol/services/published-ports.js';
import type { EventLog } from '../event-log.js';
import type { ServiceCatalog } from './catalog.js';
import type { ServiceMesh } from './mesh.js';

/** A published port on this node: listening, or why not. */
export interface ListenerState {
  published: PublishedPort;
  listening: boolean;
  error: string | null;
}

const portKey = (p: PublishedPort): string => `${p.port}/${p.protocol}`;

/**
 * Ingress: this node listens on every TCP port a service publishes (on `address`), and
 * hands each connection to the mesh. Listeners follow the document: a service that
 * publishes a port gets one, one that stops or is deleted loses it. A port the node
 * cannot bind, or that another service already holds, is an event and a state in
 * `describe service`, never a crash.
 */
export class TcpIngress {
  private readonly servers = new Map<string, { published: PublishedPort; server: Server; state: ListenerState }>();
  /** Published ports this node could not bind, kept for `describe` until a later pass binds them. */
  private readonly failed = new Map<string, ListenerState>();
  private readonly reported = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly address: string,
    private readonly catalog: ServiceCatalog,
    private readonly mesh: ServiceMesh,
    private readonly events: EventLog,
    private readonly log: Logger,
    private readonly intervalMs = 1_000,
  ) {}

  start(): void {
    this.reconcile();
    this.timer = setInterval(() => this.reconcile(), this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.servers.keys()].map((key) => this.close(key)));
  }

  /** This node's listeners, and the published ports it leaves to another service, by service. */
  states(): ListenerState[] {
    const { clashes } = publishedPorts(this.catalog.services());
    return [
      ...[...this.servers.values()].map((s) => s.state),
      ...[...this.failed].filter(([key]) => !this.servers.has(key)).map(([, state]) => state),
      ...clashes.map((c) => ({ published: c.published, listening: false, error: `port ${portKey(c.published)} is published by ${c.heldBy}` })),
    ];
  }

  /** Opens what the document publishes and this node does not listen on yet; closes the rest. */
  reconcile(): void {
    const { owners, clashes } = publishedPorts(this.catalog.services());
    for (const c of clashes)
      this.reportOnce(`clash ${c.published.service} ${portKey(c.published)}`, c.published.service, `port ${portKey(c.published)} is published by ${c.heldBy}`);
    for (const [key, state] of this.failed) if (owners.get(key)?.service !== state.published.service) this.failed.delete(key);
    for (const [key, held] of this.servers) {
      const wanted = owners.get(key);
      if (wanted === undefined || wanted.service !== held.published.service || wanted.servicePort !== held.published.servicePort) void this.close(key);
    }
    for (const [key, published] of owners) {
      if (published.protocol !== 'tcp' || this.servers.has(key)) continue;
      this.open(key, published);
    }
  }

  private open(key: string, published: PublishedPort): void {
    const server = createServer({ pauseOnConnect: true }, (socket) => void this.mesh.route(socket, published.service, published.servicePort));
    const state: ListenerState = { published, listening: false, error: null };
    this.servers.set(key, { published, server, state });
    server.once('listening', () => {
      state.listening = true;
      this.failed.delete(key);
      this.reported.delete(`bind ${published.service} ${key}`);
      this.log.info({ service: published.service, port: key, address: this.address }, 'listening on a published port');
    });
    server.on('error', (e: NodeJS.ErrnoException) => {
      state.listening = false;
      state.error = e.code === 'EADDRINUSE' ? `${this.address}:${published.port} is in use on this node` : e.message;
      this.failed.set(key, state);
      this.reportOnce(`bind ${published.service} ${key}`, published.service, `cannot listen on published port ${key}: ${state.error}`);
      // Tried again on a later pass, once what held the port may have let it go.
      server.close();
      this.servers.delete(key);
    });
    server.listen({ host: this.address, port: published.port });
  }

  private close(key: string): Promise<void> {
    const held = this.servers.get(key);
    this.servers.delete(key);
    if (held === undefined) return Promise.resolve();
    return new Promise((resolve) => held.server.close(() => resolve()));
  }

  private reportOnce(key: string, service: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log.warn({ service }, message);
    this.events.record({ atMs: Date.now(), node: this.catalog.self, kind: 'publish-failed', object: `Service/${service}`, message });
  }
}

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { getServers } from 'node:dns';
import dnsPacket from 'dns-packet';
import type { Logger } from 'pino';
import { answerQuestion } from '../../protocol/services/dns.js';
import { countDrop } from '../read-frame.js';
import type { ServiceCatalog } from './catalog.js';

/** A DNS message over UDP is at most this long without EDNS; larger queries are not ours. */
const MAX_QUERY_BYTES = 512;
/** Queries passed on to the host's resolvers at once; past it a query is answered SERVFAIL. */
const MAX_FORWARDS = 256;
const FORWARD_TIMEOUT_MS = 2_000;
/** Response codes, in the low four bits of the flags. */
const SERVFAIL = 2;
const NXDOMAIN = 3;

export interface DnsCounters {
  answered: number;
  forwarded: number;
  /** Queries dropped or refused, by reason. */
  dropped: Record<string, number>;
}

/**
 * The node's DNS responder on its service address (the replicas' bridge gateway, or its
 * loopback service address): service names from the document, anything else relayed to
 * the host's own resolvers, as Docker's embedded DNS relays what it does not know.
 */
export class DnsServer {
  readonly counters: DnsCounters = { answered: 0, forwarded: 0, dropped: {} };
  private socket: Socket | undefined;
  private forwards = 0;
  private boundTo: string | undefined;
  private error: string | null = null;

  constructor(
    private readonly catalog: ServiceCatalog,
    /** A service's own address on this node (ServiceAddresses). */
    private readonly addressOf: (service: string) => string | undefined,
    private readonly log: Logger,
    private readonly port = 53,
  ) {}

  /** Where it answers, or why not (the address is not this host's yet, the port is taken). */
  state(): { address: string | null; listening: boolean; error: string | null } {
    return { address: this.boundTo ?? null, listening: this.socket !== undefined && this.error === null, error: this.error };
  }

  /** Listens on `address` (again, if it changed); a failure is kept for `state`, not thrown. */
  async listen(address: string): Promise<void> {
    if (this.boundTo === address && this.socket !== undefined) return;
    await this.stop();
    this.boundTo = address;
    const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    socket.on('message', (message, from) => void this.handle(socket, message, from));
    await new Promise<void>((resolve) => {
      socket.once('error', (e) => {
        this.error = `cannot answer DNS on ${address}:${this.port}: ${e.message}`;
        this.log.warn({ address, port: this.port }, this.error);
        socket.close();
        resolve();
      });
      socket.bind({ address, port: this.port }, () => {
        this.socket = socket;
        this.error = null;
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private async handle(socket: Socket, message: Buffer, from: RemoteInfo): Promise<void> {
    if (message.length > MAX_QUERY_BYTES) return countDrop(this.counters.dropped, 'oversized');
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return countDrop(this.counters.dropped, 'malformed');
    }
    const [question, ...more] = query.questions ?? [];
    if (query.type !== 'query' || question === undefined || more.length > 0) return countDrop(this.counters.dropped, 'not-one-question');
    const answer = answerQuestion(question, this.catalog.services(), this.addressOf);
    if (answer.kind === 'forward') return this.forward(socket, message, query, from);
    this.counters.answered++;
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | (answer.kind === 'nxdomain' ? NXDOMAIN : 0),
      questions: [question],
      answers: answer.kind === 'answer' ? answer.records : [],
    });
    socket.send(reply, from.port, from.address);
  }

  /** Relays the query as it came to each of the host's resolvers in turn, and the first answer back. */
  private async forward(socket: Socket, message: Buffer, query: dnsPacket.Packet, from: RemoteInfo): Promise<void> {
    if (this.forwards >= MAX_FORWARDS) return this.fail(socket, query, from, 'busy');
    this.forwards++;
    try {
      for (const server of getServers()) {
        const reply = await relay(message, server).catch(() => undefined);
        if (reply === undefined) continue;
        this.counters.forwarded++;
        socket.send(reply, from.port, from.address);
        return;
      }
      this.fail(socket, query, from, 'no-upstream');
    } finally {
      this.forwards--;
    }
  }

  private fail(socket: Socket, query: dnsPacket.Packet, from: RemoteInfo, reason: string): void {
    countDrop(this.counters.dropped, reason);
    // SERVFAIL: the asker's resolver may try another server.
    socket.send(dnsPacket.encode({ type: 'response', id: query.id, flags: dnsPacket.RECURSION_AVAILABLE | SERVFAIL, questions: query.questions ?? [] }), from.port, from.address);
  }
}

/** One query to one upstream server (`host` or `[v6]:port`), its answer or a rejection. */
function relay(message: Buffer, server: string): Promise<Buffer> {
  const match = /^\[(.+)\]:(\d+)$/.exec(server) ?? /^([^:]+):(\d+)$/.exec(server);
  const host = match?.[1] ?? server;
  const port = Number(match?.[2] ?? 53);
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => done(new Error('timeout')), FORWARD_TIMEOUT_MS);
    const done = (error: Error | undefined, reply?: Buffer): void => {
      clearTimeout(timer);
      socket.close();
      if (error !== undefined || reply === undefined) reject(error ?? new Error('no reply'));
      else resolve(reply);
    };
    socket.once('error', (e) => done(e));
    socket.once('message', (reply) => done(undefined, reply));
    socket.send(message, port, host);
  });
}

import type { Libp2p, Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { z } from 'zod';
import { dialMember } from './dial-member.js';
import type { EventLog, NodeEvent } from './event-log.js';
import type { SwimService } from './swim-service.js';

export const EVENTS_PROTOCOL = '/shoal/events/1.0.0';
const MAX_FRAME_BYTES = 4 * 1024 * 1024;
const ASK_TIMEOUT_MS = 3_000;

const query = z.strictObject({ sinceMs: z.number().int().min(0) });
const event = z.strictObject({ atMs: z.number(), node: z.string().max(128), kind: z.string().max(64), object: z.string().max(300), message: z.string().max(4096) });
const answer = z.array(event).max(10_000);

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const parse = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));

/**
 * `shoal events` shows the cluster's events in order from any node: the node asked
 * gathers every live member's recent events over a stream and merges them by time.
 * A member that does not answer in time is left out, and said so.
 */
export class EventFeed {
  constructor(
    private readonly host: Libp2p,
    private readonly swim: SwimService,
    private readonly events: EventLog,
  ) {}

  async start(): Promise<void> {
    await this.host.handle(EVENTS_PROTOCOL, (stream) => void this.serve(stream), { maxInboundStreams: 32 });
  }

  async stop(): Promise<void> {
    await this.host.unhandle(EVENTS_PROTOCOL);
  }

  async clusterEvents(sinceMs: number): Promise<{ events: NodeEvent[]; unanswered: string[] }> {
    const peers = this.swim.members().filter((m) => m.state === 'alive' && m.record.id !== this.swim.id);
    const answers = await Promise.all(peers.map(async (m) => ({ node: m.record.id, events: await this.ask(m.record.id, m.record.addrs, sinceMs).catch(() => undefined) })));
    const events = [...this.events.list().filter((e) => e.atMs > sinceMs), ...answers.flatMap((a) => a.events ?? [])];
    events.sort((a, b) => a.atMs - b.atMs || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
    return { events, unanswered: answers.filter((a) => a.events === undefined).map((a) => a.node) };
  }

  private async ask(node: string, addrs: readonly string[], sinceMs: number): Promise<NodeEvent[]> {
    const signal = AbortSignal.timeout(ASK_TIMEOUT_MS);
    const stream = await dialMember(this.host, node, addrs, EVENTS_PROTOCOL, signal);
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES });
      await lp.write(json({ sinceMs }), { signal });
      return answer.parse(parse((await lp.read({ signal })).subarray()));
    } finally {
      await stream.close().catch(() => stream.abort(new Error('closed')));
    }
  }

  private async serve(stream: Stream): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: 1024 });
    try {
      const { sinceMs } = query.parse(parse((await lp.read({ signal: AbortSignal.timeout(ASK_TIMEOUT_MS) })).subarray()));
      await lp.write(json(this.events.list().filter((e) => e.atMs > sinceMs)));
      await stream.close();
    } catch (e) {
      stream.abort(e as Error);
    }
  }
}

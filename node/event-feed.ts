import type { Libp2p, Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { decodeEventsAnswer, decodeEventsQuery, encodeEventsAnswer, encodeEventsQuery, MAX_EVENTS_QUERY_BYTES } from '../protocol/event-feed-codec.js';
import { MAX_FRAME_BYTES } from '../base/limits.js';
import { dialMember } from './dial-member.js';
import type { NodeEvent } from '../protocol/api/events.js';
import type { EventLog } from './event-log.js';
import { readFrame } from './read-frame.js';
import type { SwimService } from './swim/service.js';

export const EVENTS_PROTOCOL = '/shoal/events/1.0.0';
const ASK_TIMEOUT_MS = 3_000;

export interface EventFeedCounters {
  /** Frames refused, by code: an asker's query (its stream is reset), or a member's answer (the member is left out). */
  dropped: Record<string, number>;
}

/**
 * `shoal events` shows the cluster's events in order from any node: the node asked
 * gathers every live member's recent events over a stream and merges them by time.
 * A member that does not answer in time, or answers with a bad frame, is left out,
 * and said so.
 */
export class EventFeed {
  readonly counters: EventFeedCounters = { dropped: {} };

  constructor(
    private readonly host: Libp2p,
    private readonly swim: SwimService,
    private readonly events: EventLog,
  ) {}

  async start(): Promise<void> {
    await this.host.handle(EVENTS_PROTOCOL, (stream) => void this.serve(stream), { maxInboundStreams: 32, runOnLimitedConnection: true });
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
      await lp.write(encodeEventsQuery({ sinceMs }), { signal });
      const answer = await readFrame(lp, decodeEventsAnswer, this.counters.dropped, signal);
      if (!answer.ok) throw new Error(`${node} answered with a bad frame (${answer.error.code}): ${answer.error.detail}`);
      return answer.value;
    } finally {
      await stream.close().catch(() => stream.abort(new Error('closed')));
    }
  }

  private async serve(stream: Stream): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_EVENTS_QUERY_BYTES });
    try {
      const query = await readFrame(lp, decodeEventsQuery, this.counters.dropped, AbortSignal.timeout(ASK_TIMEOUT_MS));
      if (!query.ok) throw new Error(`bad query (${query.error.code}): ${query.error.detail}`);
      await lp.write(encodeEventsAnswer(this.events.list().filter((e) => e.atMs > query.value.sinceMs)));
      await stream.close();
    } catch (e) {
      stream.abort(e as Error);
    }
  }
}

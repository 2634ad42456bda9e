import type { Libp2p, Stream } from '@libp2p/interface';
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils';
import type { Logger } from 'pino';
import { decodeSyncMessage, deltaFrames, encodeSyncMessage, fitAnswer, SYNC_CHUNK, type SyncMessage } from '../crdt/anti-entropy-codec.js';
import { answerQuery, compareAnswer, compareStamp, firstQuery, MAX_QUERY_PREFIXES, parseDelta, stampOf, type Delta } from '../crdt/index.js';
import { MAX_FRAME_BYTES } from '../base/limits.js';
import type { Clock } from '../base/clock.js';
import { dialMember } from './dial-member.js';
import { countDrop, readFrame } from './read-frame.js';
import type { StateService } from './state-service.js';

export const STATE_SYNC_PROTOCOL = '/shoal/state-sync/1.0.0';
/** Queries per exchange: 8,192 prefixes, about what one exchange walked before frames were bounded. The next exchange finds the rest. */
const MAX_QUERIES = 64;
/** Either side ends an exchange that takes longer, so a silent peer cannot hold a stream, or the initiator's turn, for ever. */
const EXCHANGE_TIMEOUT_MS = 30_000;
/**
 * What a peer may send ahead of our reading it: deltas frames follow each other without
 * waiting, while the reader stores each delta with a synced write. Past it the stream is
 * reset (and counted as `overflow`).
 */
const MAX_BUFFERED_BYTES = 32 * MAX_FRAME_BYTES;

export interface SyncStats {
  rounds: number;
  received: number;
  sent: number;
  bytes: number;
  /** The walk reached every difference: not cut short by MAX_QUERIES or an entry too large to answer. */
  complete: boolean;
}

export interface AntiEntropyCounters {
  /** Exchanges this node started. */
  exchanges: number;
  /** Exchanges that ended early, on either side: a refused frame, a reset, a time-out. */
  failed: number;
  /** Queries sent: rounds of digest comparison. */
  rounds: number;
  bytesSent: number;
  bytesReceived: number;
  /** Deltas from peers that were merged, and deltas sent to peers. */
  deltasReceived: number;
  deltasSent: number;
  /**
   * What peers sent that was refused, by code. A frame's code (oversized, malformed,
   * invalid, too-deep, unexpected, overflow) ended its exchange; `delta-invalid` is one
   * delta of a frame dropped, the rest of the frame still merged.
   */
  dropped: Record<string, number>;
  /** Our deltas too large or too deep for a frame, left out of repairs. */
  unsendable: number;
}

/** One side of one exchange: its stream, its deadline and what it carried. */
interface Side {
  lp: LengthPrefixedStream<Stream>;
  signal: AbortSignal;
  stats: SyncStats;
}

const noStats = (): SyncStats => ({ rounds: 0, received: 0, sent: 0, bytes: 0, complete: false });

/** Sorted by stamp, so an operator's grant arrives before the writes it allows. */
const inStampOrder = (deltas: Delta[]): Delta[] => deltas.sort((a, b) => compareStamp(stampOf(a), stampOf(b)));

const chunks = <T>(items: T[]): T[][] => Array.from({ length: Math.ceil(items.length / SYNC_CHUNK) }, (_, i) => items.slice(i * SYNC_CHUNK, (i + 1) * SYNC_CHUNK));

const lengthPrefixed = (stream: Stream): LengthPrefixedStream<Stream> => lpStream(stream, { maxDataLength: MAX_FRAME_BYTES, maxBufferSize: MAX_BUFFERED_BYTES });

/**
 * Anti-entropy over a libp2p stream: the initiator walks the peers' digests down to
 * where they differ, then fetches what it lacks and pushes what the peer lacks.
 * Gossip sent during a partition is gone; this is what repairs it. Every frame is
 * decoded in crdt/anti-entropy-codec.ts; one refused ends its exchange and is counted.
 */
export class AntiEntropy {
  readonly counters: AntiEntropyCounters = { exchanges: 0, failed: 0, rounds: 0, bytesSent: 0, bytesReceived: 0, deltasReceived: 0, deltasSent: 0, dropped: {}, unsendable: 0 };
  /** When this node last completed an exchange, on its clock: it then held everything that peer held (the metrics' digest age). */
  lastCompleteAtMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Peers to exchange with as soon as the running exchange ends (syncSoon). */
  private readonly soon = new Set<string>();

  constructor(
    private readonly host: Libp2p,
    private readonly state: StateService,
    private readonly log: Logger,
    private readonly options: {
      intervalMs: number;
      pickPeer: () => string | undefined;
      /** A member's addresses from its record: dialled when no connection to it is open (node/dial-member.ts). */
      addressesOf: (peer: string) => readonly string[];
      /** This node's exchange with `peer`, begun at `startedAtMs` (wall clock), walked the whole digest: it now holds all the peer held then. */
      onSynced?: (peer: string, startedAtMs: number) => void;
      /** The node's wall clock (node/wall-clock.ts), which the scheduler reads `startedAtMs` on. By default its state's. */
      clock?: Clock;
    },
  ) {}

  private get clock(): Clock {
    return this.options.clock ?? this.state.clock;
  }

  async start(): Promise<void> {
    // A member behind NAT is reached through a relay (a limited connection): repairs must reach it too.
    await this.host.handle(STATE_SYNC_PROTOCOL, (stream) => this.respond(stream), { maxInboundStreams: 8, runOnLimitedConnection: true });
    this.timer = setTimeout(() => void this.tick(), this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.host.unhandle(STATE_SYNC_PROTOCOL);
  }

  /**
   * A member just joined or came back: exchange with it soon rather than at a tick. After
   * a heal many come back at once; each waits its turn (one exchange at a time), since a
   * node that has been away catches up by exchanging with several (Scheduler.synced).
   */
  syncSoon(peer: string): void {
    this.soon.add(peer);
    void this.exchange();
  }

  private async tick(): Promise<void> {
    const peer = this.options.pickPeer();
    if (peer !== undefined) await this.exchange(peer);
    if (this.timer !== undefined) this.timer = setTimeout(() => void this.tick(), this.options.intervalMs);
  }

  private async exchange(picked?: string): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let peer = picked ?? this.nextSoon(); peer !== undefined; peer = this.nextSoon()) {
        this.soon.delete(peer);
        const startedAtMs = this.clock.nowMs();
        try {
          const stats = await this.syncWith(peer, AbortSignal.timeout(EXCHANGE_TIMEOUT_MS));
          if (stats.complete) {
            this.lastCompleteAtMs = this.clock.nowMs();
            this.options.onSynced?.(peer, startedAtMs);
          }
          if (stats.received + stats.sent > 0) this.log.info({ peer, ...stats }, 'anti-entropy repaired differences');
        } catch (e) {
          this.log.debug({ peer, error: String(e) }, 'anti-entropy exchange failed');
        }
      }
    } finally {
      this.running = false;
    }
  }

  private nextSoon(): string | undefined {
    return this.soon.values().next().value;
  }

  /** One exchange with `peer`; both sides end holding every delta either held, up to MAX_QUERIES. */
  async syncWith(peer: string, signal: AbortSignal): Promise<SyncStats> {
    this.counters.exchanges++;
    const stats = noStats();
    let stream: Stream | undefined;
    try {
      stream = await dialMember(this.host, peer, this.options.addressesOf(peer), STATE_SYNC_PROTOCOL, signal);
      await this.initiate({ lp: lengthPrefixed(stream), signal, stats });
      await stream.close({ signal });
      return stats;
    } catch (e) {
      this.counters.failed++;
      stream?.abort(e as Error);
      throw e;
    }
  }

  private async initiate(side: Side): Promise<void> {
    const digest = this.state.replica.digest;
    const missingHere = new Set<string>();
    const missingThere = new Set<string>();
    let pending = firstQuery().prefixes;
    for (let queries = 0; pending.length > 0 && queries < MAX_QUERIES; queries++) {
      const asked = pending.slice(0, MAX_QUERY_PREFIXES);
      side.stats.rounds++;
      this.counters.rounds++;
      await this.send(side, { t: 'query', query: { prefixes: asked } });
      const { answer } = await this.expect(side, 'answer');
      const answered = new Set(answer.entries.map((e) => e.prefix));
      // An entry for a prefix not asked about would have this node walk, or send, what the peer chose.
      if (answer.entries.some((e) => !asked.includes(e.prefix))) throw this.refuse('unexpected', 'an answer about a prefix not asked');
      // Nothing answered (one entry larger than a frame) would be asked again for ever.
      if (answered.size === 0) break;
      const comparison = compareAnswer(digest, answer);
      for (const id of comparison.missingHere) missingHere.add(id);
      for (const id of comparison.missingThere) missingThere.add(id);
      // What did not fit in the answer first, then the next level down.
      pending = [...asked.filter((p) => !answered.has(p)), ...pending.slice(asked.length), ...(comparison.next?.prefixes ?? [])];
    }
    for (const ids of chunks([...missingHere])) {
      await this.send(side, { t: 'want', ids });
      const wanted = new Set(ids);
      // Every frame but the last holds a delta, and the peer sends only the ids asked for.
      for (let frames = 1; ; frames++) {
        const reply = await this.expect(side, 'deltas');
        side.stats.received += await this.ingest(reply.deltas, wanted);
        if (reply.last) break;
        if (frames >= ids.length) throw this.refuse('unexpected', 'more deltas frames than ids wanted');
      }
    }
    side.stats.complete = pending.length === 0;
    const ours = [...missingThere].flatMap((id) => this.state.replica.get(id) ?? []);
    if (ours.length > 0) await this.sendDeltas(side, ours);
    await this.send(side, { t: 'done' });
  }

  private async respond(stream: Stream): Promise<void> {
    const side: Side = { lp: lengthPrefixed(stream), signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS), stats: noStats() };
    try {
      for (let queries = 0; ; ) {
        const message = await this.receive(side);
        if (message.t === 'done') break;
        // As many as an initiator of ours asks in an exchange: each is a walk of the digest.
        if (message.t === 'query' && ++queries > MAX_QUERIES) throw this.refuse('unexpected', `more than ${MAX_QUERIES} queries in an exchange`);
        if (message.t === 'query') await this.send(side, { t: 'answer', answer: fitAnswer(answerQuery(this.state.replica.digest, message.query)) });
        else if (message.t === 'want')
          await this.sendDeltas(
            side,
            message.ids.flatMap((id) => this.state.replica.get(id) ?? []),
          );
        else if (message.t === 'deltas') side.stats.received += await this.ingest(message.deltas);
        else throw this.refuse('unexpected', `got ${message.t}`);
      }
      await stream.close({ signal: side.signal });
    } catch (e) {
      this.counters.failed++;
      this.log.debug({ error: String(e) }, 'state sync stream failed');
      stream.abort(e as Error);
    }
  }

  private async send(side: Side, message: SyncMessage): Promise<void> {
    const bytes = encodeSyncMessage(message);
    side.stats.bytes += bytes.length;
    this.counters.bytesSent += bytes.length;
    await side.lp.write(bytes, { signal: side.signal });
  }

  /** The next frame, decoded; a frame refused is counted and ends the exchange. */
  private async receive(side: Side): Promise<SyncMessage> {
    const decode = (frame: Uint8Array) => {
      side.stats.bytes += frame.length;
      this.counters.bytesReceived += frame.length;
      return decodeSyncMessage(frame);
    };
    const decoded = await readFrame(side.lp, decode, this.counters.dropped, side.signal);
    if (!decoded.ok) throw new Error(`refused a frame (${decoded.error.code}): ${decoded.error.detail}`);
    return decoded.value;
  }

  private async expect<T extends SyncMessage['t']>(side: Side, t: T): Promise<Extract<SyncMessage, { t: T }>> {
    const message = await this.receive(side);
    if (message.t !== t) throw this.refuse('unexpected', `expected ${t}, got ${message.t}`);
    return message as Extract<SyncMessage, { t: T }>;
  }

  /**
   * Our deltas in stamp order, in as many frames as they need, encoded a chunk at a time
   * with a turn of the event loop between chunks: a peer back from a long absence may be
   * owed tens of thousands, and encoding 20,000 at once held the loop for 220-280 ms here
   * (four times that on a quarter of a core), with SWIM's timers waiting behind it; a chunk
   * takes under 10 ms. An answer to a `want` (at most SYNC_CHUNK ids) is one chunk, as before.
   */
  private async sendDeltas(side: Side, deltas: Delta[]): Promise<void> {
    const sorted = inStampOrder(deltas);
    let unsendable = 0;
    for (let from = 0; ; from += SYNC_CHUNK) {
      const final = from + SYNC_CHUNK >= sorted.length;
      const chunk = deltaFrames(sorted.slice(from, from + SYNC_CHUNK));
      for (const frame of chunk.frames) await this.send(side, final || frame.t !== 'deltas' ? frame : { ...frame, last: false });
      unsendable += chunk.unsendable.length;
      if (final) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.counters.unsendable += unsendable;
    side.stats.sent += deltas.length - unsendable;
    this.counters.deltasSent += deltas.length - unsendable;
  }

  /**
   * Each delta is parsed and checked like any other; one that does not parse is counted,
   * and the rest of its frame still merges, the frame's deltas stored with one synced
   * write (StateService.fromPeers).
   */
  /** `wanted`: the ids asked for, when this side asked; a delta the peer adds beyond them is dropped and counted. */
  private async ingest(values: unknown[], wanted?: ReadonlySet<string>): Promise<number> {
    const deltas: Delta[] = [];
    for (const value of values) {
      const parsed = parseDelta(value);
      if (!parsed.ok) countDrop(this.counters.dropped, 'delta-invalid');
      else if (wanted !== undefined && !wanted.has(parsed.value.id)) countDrop(this.counters.dropped, 'delta-unasked');
      else deltas.push(parsed.value);
    }
    const accepted = await this.state.fromPeers(deltas);
    this.counters.deltasReceived += accepted;
    return accepted;
  }

  /** Counts a frame that decoded but does not belong where it came; the error returned ends the exchange. */
  private refuse(code: string, detail: string): Error {
    countDrop(this.counters.dropped, code);
    return new Error(`refused a frame (${code}): ${detail}`);
  }
}

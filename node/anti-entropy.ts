import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils';
import type { Logger } from 'pino';
import {
  answerQuery,
  compareAnswer,
  compareStamp,
  encodeDelta,
  firstQuery,
  parseDelta,
  stampOf,
  type Delta,
  type DigestAnswer,
  type DigestQuery,
} from '../crdt/index.js';
import type { StateService } from './state-service.js';

export const STATE_SYNC_PROTOCOL = '/shoal/state-sync/1.0.0';
/** A frame holds at most this much; deltas go in several frames when they need more. */
const MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** Deltas per frame are bounded by bytes (each delta is at most MAX_DELTA_BYTES) and by count. */
const DELTA_FRAME_BYTES = 4 * 1024 * 1024;
const CHUNK = 256;
const MAX_ROUNDS = 8;
const PREFIX = /^[0-9a-f]{0,8}$/;

type Message =
  | { t: 'query'; query: DigestQuery }
  | { t: 'answer'; answer: DigestAnswer }
  | { t: 'want'; ids: string[] }
  | { t: 'deltas'; deltas: unknown[]; last: boolean }
  | { t: 'done' };

export interface SyncStats {
  rounds: number;
  received: number;
  sent: number;
  bytes: number;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

async function send(lp: LengthPrefixedStream<Stream>, message: Message, stats?: SyncStats): Promise<void> {
  const bytes = utf8.encode(JSON.stringify(message));
  if (stats) stats.bytes += bytes.length;
  await lp.write(bytes);
}

async function receive(lp: LengthPrefixedStream<Stream>, stats?: SyncStats): Promise<Message> {
  const bytes = (await lp.read()).subarray();
  if (stats) stats.bytes += bytes.length;
  return JSON.parse(fromUtf8.decode(bytes)) as Message;
}

/** Sorted by stamp, so an operator's grant arrives before the writes it allows. */
const inStampOrder = (deltas: Delta[]): Delta[] => deltas.sort((a, b) => compareStamp(stampOf(a), stampOf(b)));

const chunks = <T>(items: T[]): T[][] => Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));

/** Frames of at most CHUNK deltas and DELTA_FRAME_BYTES each; the last is marked, and there is always one. */
function deltaFrames(deltas: Delta[]): Message[] {
  const frames: Message[] = [];
  let current: Delta[] = [];
  let bytes = 0;
  for (const delta of deltas) {
    const size = encodeDelta(delta).length;
    if (current.length > 0 && (current.length >= CHUNK || bytes + size > DELTA_FRAME_BYTES)) {
      frames.push({ t: 'deltas', deltas: current, last: false });
      current = [];
      bytes = 0;
    }
    current.push(delta);
    bytes += size;
  }
  frames.push({ t: 'deltas', deltas: current, last: true });
  return frames;
}

const lengthPrefixed = (stream: Stream): LengthPrefixedStream<Stream> =>
  lpStream(stream, { maxDataLength: MAX_FRAME_BYTES, maxBufferSize: MAX_FRAME_BYTES + 10 });

/**
 * Anti-entropy over a libp2p stream: the initiator walks the peers' digests down to
 * where they differ, then fetches what it lacks and pushes what the peer lacks.
 * Gossip sent during a partition is gone; this is what repairs it.
 */
export class AntiEntropy {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly host: Libp2p,
    private readonly state: StateService,
    private readonly log: Logger,
    private readonly options: { intervalMs: number; pickPeer: () => string | undefined },
  ) {}

  async start(): Promise<void> {
    await this.host.handle(STATE_SYNC_PROTOCOL, (stream) => this.respond(stream), { maxInboundStreams: 8 });
    this.timer = setTimeout(() => void this.tick(), this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.host.unhandle(STATE_SYNC_PROTOCOL);
  }

  /** A member just joined or came back: exchange with it now rather than at the next tick. */
  syncSoon(peer: string): void {
    void this.exchange(peer);
  }

  private async tick(): Promise<void> {
    const peer = this.options.pickPeer();
    if (peer !== undefined) await this.exchange(peer);
    if (this.timer !== undefined) this.timer = setTimeout(() => void this.tick(), this.options.intervalMs);
  }

  private async exchange(peer: string): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const stats = await this.syncWith(peer, AbortSignal.timeout(30_000));
      if (stats.received + stats.sent > 0) this.log.info({ peer, ...stats }, 'anti-entropy repaired differences');
    } catch (e) {
      this.log.debug({ peer, error: String(e) }, 'anti-entropy exchange failed');
    } finally {
      this.running = false;
    }
  }

  /** One exchange with `peer`; both sides end holding every delta either held. */
  async syncWith(peer: string, signal: AbortSignal): Promise<SyncStats> {
    const stats: SyncStats = { rounds: 0, received: 0, sent: 0, bytes: 0 };
    const stream = await this.host.dialProtocol(peerIdFromString(peer), STATE_SYNC_PROTOCOL, { signal });
    const lp = lengthPrefixed(stream);
    try {
      const missingHere: string[] = [];
      const missingThere: string[] = [];
      let query: DigestQuery | undefined = firstQuery();
      while (query !== undefined && stats.rounds < MAX_ROUNDS) {
        stats.rounds++;
        await send(lp, { t: 'query', query }, stats);
        const reply = await receive(lp, stats);
        if (reply.t !== 'answer') throw new Error(`expected an answer, got ${reply.t}`);
        const comparison = compareAnswer(this.state.replica.digest, reply.answer);
        missingHere.push(...comparison.missingHere);
        missingThere.push(...comparison.missingThere);
        query = comparison.next;
      }
      for (const ids of chunks(missingHere)) {
        await send(lp, { t: 'want', ids }, stats);
        for (;;) {
          const reply = await receive(lp, stats);
          if (reply.t !== 'deltas') throw new Error(`expected deltas, got ${reply.t}`);
          stats.received += await this.ingest(reply.deltas);
          if (reply.last) break;
        }
      }
      const ours = inStampOrder(missingThere.flatMap((id) => this.state.replica.get(id) ?? []));
      if (ours.length > 0) {
        for (const frame of deltaFrames(ours)) await send(lp, frame, stats);
        stats.sent += ours.length;
      }
      await send(lp, { t: 'done' }, stats);
      await stream.close({ signal });
      return stats;
    } catch (e) {
      stream.abort(e as Error);
      throw e;
    }
  }

  private async respond(stream: Stream): Promise<void> {
    const lp = lengthPrefixed(stream);
    try {
      for (;;) {
        const message = await receive(lp);
        if (message.t === 'done') break;
        if (message.t === 'query') {
          const prefixes = message.query.prefixes.filter((p) => typeof p === 'string' && PREFIX.test(p));
          await send(lp, { t: 'answer', answer: answerQuery(this.state.replica.digest, { prefixes }) });
        }
        else if (message.t === 'want') {
          const deltas = inStampOrder(message.ids.slice(0, CHUNK).flatMap((id) => this.state.replica.get(id) ?? []));
          for (const frame of deltaFrames(deltas)) await send(lp, frame);
        } else if (message.t === 'deltas') await this.ingest(message.deltas);
        else throw new Error(`unexpected ${message.t}`);
      }
      await stream.close();
    } catch (e) {
      this.log.debug({ error: String(e) }, 'state sync stream failed');
      stream.abort(e as Error);
    }
  }

  /** Each delta is decoded and checked like any other; a bad one is dropped and counted. */
  private async ingest(values: unknown[]): Promise<number> {
    let accepted = 0;
    for (const value of values.slice(0, CHUNK)) {
      const parsed = parseDelta(value);
      if (!parsed.ok) continue;
      if (await this.state.fromPeer(parsed.value)) accepted++;
    }
    return accepted;
  }
}

import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { StreamQuota } from './stream-quota.js';

export const SWIM_PROTOCOL = '/shoal/swim/1.0.0';

export interface FrameTransportCounters {
  /** Frames written on a stream (not proof of delivery). */
  sent: number;
  received: number;
  sentBytes: number;
  receivedBytes: number;
  /** Sends that could not dial, open a stream or write within the timeout. */
  sendFailures: number;
  /** Frames over maxFrameBytes, outbound (never sent) or inbound (stream reset unread). */
  droppedOversized: number;
  /** Inbound streams that did not carry one whole frame in time. */
  droppedMalformed: number;
  /** Inbound streams of their own reset unread: MAX_FRAME_STREAMS_READING were being read already. */
  droppedBusy: number;
  /**
   * Frames whose handler threw. Decoders return what they refuse as a value, counted by
   * the receiver, so each of these is a bug to look into, not a peer's doing.
   */
  handlerFailures: number;
}

export interface FrameTransport {
  /**
   * Fire and forget: never rejects, since SWIM tolerates loss; failures are counted. The
   * result (true once written) lets a leaving node wait for its last messages.
   */
  send(to: string, addrs: readonly string[], frame: Uint8Array): Promise<boolean>;
  stop(): Promise<void>;
  readonly counters: FrameTransportCounters;
}

export interface FrameTransportOptions {
  /** The libp2p protocol the frames travel on: SWIM's by default; the auction's answers use the same framing. */
  protocol?: string;
  maxFrameBytes: number;
  onFrame: (from: string, frame: Uint8Array) => void;
  /** Bounds a whole send (dial, protocol negotiation, write) and the read of a stream that carries one frame. */
  dialTimeoutMs?: number;
}

const DEFAULT_DIAL_TIMEOUT_MS = 5_000;
/** A varint length prefix is at most 10 bytes. */
const MAX_PREFIX_BYTES = 10;
/** Concurrent SWIM streams per connection and direction: ping-req relays and gossip bursts. */
const MAX_STREAMS = 256;
/**
 * Frames up to this size share one long-lived stream per peer; larger ones (push-pull
 * syncs, which run to megabytes) get a stream of their own, so a ping never waits behind
 * one. SWIM's bound on every message but a sync (maxMessageBytes).
 */
const SHARED_FRAME_BYTES = 64 * 1024;
/**
 * Streams of their own (each may carry one frame up to maxFrameBytes, 16 MiB for SWIM's
 * syncs) read at once on this node, from all peers: past it a new one is reset unread.
 * A key holder could otherwise hold 256 such frames a connection in memory.
 */
const MAX_FRAME_STREAMS_READING = 8;
/** Of those, one peer's: one key holder does not take every one. */
const MAX_FRAME_STREAMS_READING_PER_PEER = 2;
/** A shared stream nobody wrote to for this long is closed: a member that left keeps no stream here. */
const SHARED_IDLE_MS = 30_000;
/** A receiver waits this long for a stream's next frame; a sender closes an idle one sooner. */
const RECEIVE_IDLE_MS = 2 * SHARED_IDLE_MS;

/** A stream kept open to one peer for small frames, written one frame at a time. */
interface SharedStream {
  stream: Stream;
  lp: ReturnType<typeof lpStream>;
  /** The last write queued: the next one starts after it. */
  tail: Promise<unknown>;
  idle: NodeJS.Timeout | undefined;
}

/**
 * Small frames to a peer go on one long-lived stream, larger ones on a stream each, over
 * the peers' existing yamux connection. Opening a stream per frame cost about ten times
 * the CPU of the frame itself (a multistream-select round, a logger, a peer-store write at
 * both ends, yamux's open and close frames): on an idle node that was most of what SWIM
 * cost (docs/benchmarks.md, "Footprint"). A stream that failed is dropped and the frame
 * tried once more on a new one; SWIM tolerates the loss of what still fails.
 */
export async function createFrameTransport(host: Libp2p, options: FrameTransportOptions): Promise<FrameTransport> {
  const counters: FrameTransportCounters = {
    sent: 0,
    received: 0,
    sentBytes: 0,
    receivedBytes: 0,
    sendFailures: 0,
    droppedOversized: 0,
    droppedMalformed: 0,
    droppedBusy: 0,
    handlerFailures: 0,
  };
  const timeoutMs = options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
  const protocol = options.protocol ?? SWIM_PROTOCOL;
  // One controller per operation, so stop() can cancel what is in flight. Not
  // AbortSignal.any over a transport-wide signal: on Node 20 each call leaks ~2 KB for as
  // long as the long-lived signal lives (nodejs/node#55351).
  const inFlight = new Set<AbortController>();
  let stopped = false;
  const withDeadline = async <T>(ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`${protocol} stream timed out after ${ms} ms`)), ms);
    inFlight.add(controller);
    try {
      return await run(controller.signal);
    } finally {
      clearTimeout(timer);
      inFlight.delete(controller);
    }
  };

  const sharedProtocol = `${protocol}/shared`;
  const reading = new StreamQuota(MAX_FRAME_STREAMS_READING_PER_PEER, MAX_FRAME_STREAMS_READING);
  const receive = async (stream: Stream, connection: Connection): Promise<void> => {
    if (stream.protocol === sharedProtocol) return receiveFrames(stream, connection, true);
    const held = reading.acquire(connection.remotePeer.toString());
    if (!held.ok) {
      counters.droppedBusy++;
      stream.abort(new Error('too many frames being read'));
      return;
    }
    try {
      await receiveFrames(stream, connection, false);
    } finally {
      held.value();
    }
  };
  const receiveFrames = async (stream: Stream, connection: Connection, isShared: boolean): Promise<void> => {
    // Shared streams carry only small frames (a sender puts larger ones on a stream of
    // their own). maxBufferSize bounds what is buffered even before the length prefix is
    // decoded; lpStream's default (4 MiB) would also refuse legitimate large sync frames.
    const maxBytes = isShared ? Math.min(SHARED_FRAME_BYTES, options.maxFrameBytes) : options.maxFrameBytes;
    const lp = lpStream(stream, { maxDataLength: maxBytes, maxBufferSize: maxBytes + MAX_PREFIX_BYTES });
    const from = connection.remotePeer.toString();
    // A shared stream waits for frames as long as its sender keeps it; any other carries one, now.
    const waitMs = isShared ? RECEIVE_IDLE_MS : timeoutMs;
    for (let frames = 0; ; frames++) {
      let frame: Uint8Array;
      try {
        frame = (await withDeadline(waitMs, (signal) => lp.read({ signal }))).subarray();
      } catch (e) {
        const name = (e as Error).name;
        if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError' || name === 'StreamBufferError') counters.droppedOversized++;
        // The end of a stream after whole frames is how a sender closes it; a stream that
        // ended before one whole frame carried nothing but garbage. (A last frame cut short
        // after good ones is dropped uncounted: the two look alike here.)
        else if (name !== 'UnexpectedEOFError' || frames === 0) counters.droppedMalformed++;
        if (name === 'UnexpectedEOFError') stream.close().catch(() => undefined);
        else stream.abort(e as Error);
        return;
      }
      counters.received++;
      counters.receivedBytes += frame.length;
      try {
        options.onFrame(from, frame);
      } catch {
        // Counted, not rethrown: a throw here must not reset a stream whose frame was delivered.
        counters.handlerFailures++;
      }
      // A stream of its own carries one frame: read on, it would hold its place among the few read at once.
      if (!isShared) {
        stream.close().catch(() => undefined);
        return;
      }
    }
  };
  // Relayed (limited) connections too: a member behind NAT is probed and answered through a relay.
  // Both protocols read the same way: a sender of one frame a stream simply closes after it.
  for (const id of [protocol, sharedProtocol]) {
    await host.handle(id, receive, { maxInboundStreams: MAX_STREAMS, maxOutboundStreams: MAX_STREAMS, runOnLimitedConnection: true });
  }

  const open = async (to: string, addrs: readonly string[], protocols: string[], signal: AbortSignal): Promise<Stream> => {
    const peer = peerIdFromString(to);
    // Only when unconnected: the peer store write is not free, and SWIM sends often.
    if (addrs.length > 0 && host.getConnections(peer).length === 0) {
      await host.peerStore.merge(peer, { multiaddrs: addrs.map((a) => multiaddr(a)) });
    }
    return host.dialProtocol(peer, protocols, { signal, runOnLimitedConnection: true });
  };

  const writeAlone = async (stream: Stream, frame: Uint8Array, signal: AbortSignal): Promise<void> => {
    try {
      await lpStream(stream).write(frame, { signal });
      await stream.close({ signal });
    } catch (e) {
      stream.abort(e as Error);
      throw e;
    }
  };

  const shared = new Map<string, SharedStream>();
  const opening = new Map<string, Promise<SharedStream | Stream>>();
  const drop = (to: string, entry: SharedStream, error?: Error): void => {
    if (shared.get(to) === entry) shared.delete(to);
    clearTimeout(entry.idle);
    if (error === undefined) entry.stream.close().catch(() => undefined);
    else entry.stream.abort(error);
  };
  const usable = (entry: SharedStream | undefined): entry is SharedStream => entry !== undefined && entry.stream.status === 'open' && entry.stream.writeStatus === 'writable';
  /**
   * The peer's shared stream, opened if there is none (once for sends that ask at once);
   * a bare stream when the peer runs a version that reads one frame a stream.
   */
  const sharedStream = (to: string, addrs: readonly string[], signal: AbortSignal): Promise<SharedStream | Stream> => {
    const existing = shared.get(to);
    if (usable(existing)) return Promise.resolve(existing);
    if (existing !== undefined) drop(to, existing);
    const pending = opening.get(to);
    if (pending !== undefined) return pending;
    const opened = open(to, addrs, [sharedProtocol, protocol], signal).then((stream) => {
      if (stream.protocol !== sharedProtocol) return stream;
      const entry: SharedStream = { stream, lp: lpStream(stream), tail: Promise.resolve(), idle: undefined };
      // Closed under us (the connection went, the peer reset it): the next frame opens another.
      stream.addEventListener('close', () => drop(to, entry), { once: true });
      if (stopped) drop(to, entry);
      else shared.set(to, entry);
      return entry;
    });
    opening.set(to, opened);
    const settled = (): void => {
      if (opening.get(to) === opened) opening.delete(to);
    };
    opened.then(settled, settled);
    return opened;
  };
  /** Writes one frame on the peer's shared stream, opened if need be. */
  const writeShared = async (to: string, addrs: readonly string[], frame: Uint8Array, signal: AbortSignal): Promise<void> => {
    const entry = await sharedStream(to, addrs, signal);
    if (!('lp' in entry)) return writeAlone(entry, frame, signal);
    // One frame at a time on a stream: a write starts once the one before it settled.
    const write = entry.tail.then(() => entry.lp.write(frame, { signal }));
    entry.tail = write.catch(() => undefined);
    try {
      await write;
    } catch (e) {
      drop(to, entry, e as Error);
      throw e;
    }
    clearTimeout(entry.idle);
    entry.idle = setTimeout(() => drop(to, entry), SHARED_IDLE_MS);
    entry.idle.unref();
  };
  const deliverShared = (to: string, addrs: readonly string[], frame: Uint8Array): Promise<void> =>
    withDeadline(timeoutMs, async (signal) => {
      const reused = usable(shared.get(to));
      try {
        await writeShared(to, addrs, frame, signal);
      } catch (e) {
        // A stream kept from before may have died with its connection unnoticed: once more on a new one.
        if (signal.aborted || stopped || !reused) throw e;
        await writeShared(to, addrs, frame, signal);
      }
    });
  const deliverAlone = (to: string, addrs: readonly string[], frame: Uint8Array): Promise<void> =>
    withDeadline(timeoutMs, async (signal) => writeAlone(await open(to, addrs, [protocol], signal), frame, signal));

  return {
    counters,
    async send(to, addrs, frame) {
      if (frame.length > options.maxFrameBytes) {
        counters.droppedOversized++;
        return false;
      }
      if (stopped) {
        counters.sendFailures++;
        return false;
      }
      try {
        await (frame.length <= SHARED_FRAME_BYTES ? deliverShared(to, addrs, frame) : deliverAlone(to, addrs, frame));
        counters.sent++;
        counters.sentBytes += frame.length;
        return true;
      } catch {
        counters.sendFailures++;
        return false;
      }
    },
    async stop() {
      stopped = true;
      for (const controller of inFlight) controller.abort(new Error('SWIM transport stopped'));
      for (const [to, entry] of shared) drop(to, entry);
      await host.unhandle([protocol, sharedProtocol]);
    },
  };
}

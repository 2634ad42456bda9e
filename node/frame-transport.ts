import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';

export const SWIM_PROTOCOL = '/shoal/swim/1.0.0';

export interface FrameTransportCounters {
  /** Frames written and closed on a stream (not proof of delivery). */
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
  /** Bounds a whole send (dial, protocol negotiation, write) and an inbound read. */
  dialTimeoutMs?: number;
}

const DEFAULT_DIAL_TIMEOUT_MS = 5_000;
/** A varint length prefix is at most 10 bytes. */
const MAX_PREFIX_BYTES = 10;
/** Concurrent SWIM streams per connection and direction: ping-req relays and gossip bursts. */
const MAX_STREAMS = 256;

/**
 * One frame per stream, over the peers' existing yamux connection. A cached stream per
 * peer would be cheaper (measured on loopback: ~0.1 ms of CPU per frame against ~1 ms,
 * which goes to the stream open, a multistream-select round trip and peer-store updates),
 * but push-pull sync frames run to megabytes and would hold up the pings queued behind
 * them, and a cached stream is per-peer state to repair after every drop. At 1-3 SWIM
 * messages per second per node, 1 ms each is noise.
 */
export async function createFrameTransport(host: Libp2p, options: FrameTransportOptions): Promise<FrameTransport> {
  const counters: FrameTransportCounters = { sent: 0, received: 0, sentBytes: 0, receivedBytes: 0, sendFailures: 0, droppedOversized: 0, droppedMalformed: 0, handlerFailures: 0 };
  const timeoutMs = options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
  const protocol = options.protocol ?? SWIM_PROTOCOL;
  // One controller per operation, so stop() can cancel what is in flight. Not
  // AbortSignal.any over a transport-wide signal: on Node 20 each call leaks ~2 KB for as
  // long as the long-lived signal lives (nodejs/node#55351).
  const inFlight = new Set<AbortController>();
  let stopped = false;
  const withDeadline = async <T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`${protocol} stream timed out after ${timeoutMs} ms`)), timeoutMs);
    inFlight.add(controller);
    try {
      return await run(controller.signal);
    } finally {
      clearTimeout(timer);
      inFlight.delete(controller);
    }
  };

  const receive = async (stream: Stream, connection: Connection): Promise<void> => {
    // maxBufferSize bounds what is buffered even before the length prefix is decoded;
    // lpStream's default (4 MiB) would also refuse legitimate large sync frames.
    const lp = lpStream(stream, { maxDataLength: options.maxFrameBytes, maxBufferSize: options.maxFrameBytes + MAX_PREFIX_BYTES });
    let frame: Uint8Array;
    try {
      frame = (await withDeadline((signal) => lp.read({ signal }))).subarray();
    } catch (e) {
      const name = (e as Error).name;
      if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError' || name === 'StreamBufferError') counters.droppedOversized++;
      else counters.droppedMalformed++;
      stream.abort(e as Error);
      return;
    }
    counters.received++;
    counters.receivedBytes += frame.length;
    stream.close().catch(() => undefined);
    try {
      options.onFrame(connection.remotePeer.toString(), frame);
    } catch {
      // Counted, not rethrown: a throw here must not reset a stream whose frame was delivered.
      counters.handlerFailures++;
    }
  };
  // Relayed (limited) connections too: a member behind NAT is probed and answered through a relay.
  await host.handle(protocol, receive, { maxInboundStreams: MAX_STREAMS, maxOutboundStreams: MAX_STREAMS, runOnLimitedConnection: true });

  const deliver = async (to: string, addrs: readonly string[], frame: Uint8Array): Promise<void> => {
    const peer = peerIdFromString(to);
    // Only when unconnected: the peer store write is not free, and SWIM sends often.
    if (addrs.length > 0 && host.getConnections(peer).length === 0) {
      await host.peerStore.merge(peer, { multiaddrs: addrs.map((a) => multiaddr(a)) });
    }
    await withDeadline(async (signal) => {
      const stream = await host.dialProtocol(peer, protocol, { signal, runOnLimitedConnection: true });
      try {
        await lpStream(stream).write(frame, { signal });
        await stream.close({ signal });
      } catch (e) {
        stream.abort(e as Error);
        throw e;
      }
    });
  };

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
        await deliver(to, addrs, frame);
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
      await host.unhandle(protocol);
    },
  };
}

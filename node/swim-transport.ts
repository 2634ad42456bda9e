import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';

export const SWIM_PROTOCOL = '/shoal/swim/1.0.0';

export interface SwimTransportCounters {
  sent: number;
  received: number;
  sendFailures: number;
  droppedOversized: number;
  droppedMalformed: number;
}

export interface SwimTransport {
  /** Never rejects: SWIM tolerates loss, so a failed send is counted and resolves false. */
  send(to: string, addrs: readonly string[], frame: Uint8Array): Promise<boolean>;
  stop(): Promise<void>;
  readonly counters: SwimTransportCounters;
}

export interface SwimTransportOptions {
  maxFrameBytes: number;
  dialTimeoutMs: number;
  onFrame: (from: string, frame: Uint8Array) => void;
}

/**
 * SWIM messages are datagrams, so each goes on a stream of its own over the peers'
 * existing yamux connection: no head-of-line blocking between a ping and a sync, and
 * no per-peer stream state to repair after a connection drops.
 */
export async function createSwimTransport(host: Libp2p, options: SwimTransportOptions): Promise<SwimTransport> {
  const counters: SwimTransportCounters = { sent: 0, received: 0, sendFailures: 0, droppedOversized: 0, droppedMalformed: 0 };

  const handle = async (stream: Stream, connection: Connection): Promise<void> => {
    const lp = lpStream(stream, { maxDataLength: options.maxFrameBytes });
    const from = connection.remotePeer.toString();
    try {
      const frame = await lp.read({ signal: AbortSignal.timeout(options.dialTimeoutMs) });
      counters.received++;
      options.onFrame(from, frame.subarray());
      await stream.close();
    } catch (e) {
      if ((e as Error).name === 'InvalidDataLengthError') counters.droppedOversized++;
      else counters.droppedMalformed++;
      stream.abort(e as Error);
    }
  };
  await host.handle(SWIM_PROTOCOL, handle, { maxInboundStreams: 256, maxOutboundStreams: 256 });

  const deliver = async (to: string, addrs: readonly string[], frame: Uint8Array): Promise<void> => {
    const peer = peerIdFromString(to);
    if (addrs.length > 0 && host.getConnections(peer).length === 0) {
      await host.peerStore.merge(peer, { multiaddrs: addrs.map((a) => multiaddr(a)) });
    }
    const signal = AbortSignal.timeout(options.dialTimeoutMs);
    const stream = await host.dialProtocol(peer, SWIM_PROTOCOL, { signal });
    try {
      await lpStream(stream).write(frame, { signal });
      await stream.close({ signal });
    } catch (e) {
      stream.abort(e as Error);
      throw e;
    }
  };

  return {
    counters,
    async send(to, addrs, frame) {
      if (frame.length > options.maxFrameBytes) {
        counters.sendFailures++;
        return false;
      }
      counters.sent++;
      return deliver(to, addrs, frame).then(
        () => true,
        () => {
          counters.sendFailures++;
          return false;
        },
      );
    },
    async stop() {
      await host.unhandle(SWIM_PROTOCOL);
    },
  };
}

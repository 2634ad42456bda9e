import type { Stream } from '@libp2p/interface';
import type { LengthPrefixedStream } from '@libp2p/utils';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

/** A UDP flow with no traffic either way for this long is over, as a NAT's or conntrack's would be. */
export const UDP_IDLE_MS = 30_000;
/** Flows one node relays at once; a datagram that would open one more is dropped. */
export const MAX_UDP_FLOWS = 4096;
/** Datagrams held for a flow while its way to the replica opens; more are dropped. */
const MAX_PENDING = 64;
/** The largest UDP payload; a mesh frame carries one datagram. */
export const MAX_DATAGRAM_BYTES = 65_507;

/** Where a flow's datagrams go: a socket to a local replica, or frames on a mesh stream. */
export interface FlowSink {
  send(datagram: Uint8Array): void;
  close(): void;
}

/** A connected UDP socket to a replica on this node; what it answers goes to `reply`. */
export function replicaSocket(address: string, port: number, reply: (datagram: Buffer) => void, onError: () => void): Promise<FlowSink> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', reject);
    socket.connect(port, address, () => {
      socket.off('error', reject);
      socket.on('error', onError);
      socket.on('message', reply);
      resolve({ send: (d) => socket.send(d), close: () => socket.close() });
    });
  });
}

/** Frames on a mesh stream, one datagram each; frames that come back go to `reply` until the stream ends. */
export function streamSink(lp: LengthPrefixedStream<Stream>, stream: Stream, reply: (datagram: Uint8Array) => void, onEnd: () => void): FlowSink {
  void (async () => {
    try {
      for (;;) reply((await lp.read()).subarray());
    } catch {
      onEnd();
    }
  })();
  return {
    send: (d) => void lp.write(d).catch(onEnd),
    close: () => stream.abort(new Error('the UDP flow ended')),
  };
}

/**
 * One client's UDP flow through a listener: datagrams from the client go to the flow's
 * sink once it is open (held until then, a few), answers go back to the client from the
 * listener's port, and the flow ends after a while with no traffic.
 */
export class UdpFlow {
  private sink: FlowSink | undefined;
  private pending: Uint8Array[] = [];
  private timer: NodeJS.Timeout;
  private ended = false;

  constructor(
    private readonly listener: Socket,
    readonly client: RemoteInfo,
    private readonly onEnd: () => void,
  ) {
    this.timer = setTimeout(() => this.end(), UDP_IDLE_MS);
  }

  open(sink: FlowSink): void {
    if (this.ended) return sink.close();
    this.sink = sink;
    for (const d of this.pending) sink.send(d);
    this.pending = [];
  }

  fromClient(datagram: Uint8Array): void {
    this.touch();
    if (this.sink !== undefined) this.sink.send(datagram);
    else if (this.pending.length < MAX_PENDING) this.pending.push(datagram);
  }

  toClient(datagram: Uint8Array): void {
    if (this.ended) return;
    this.touch();
    this.listener.send(datagram, this.client.port, this.client.address);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.sink?.close();
    this.onEnd();
  }

  private touch(): void {
    this.timer.refresh();
  }
}

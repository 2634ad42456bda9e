import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils';
import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Service } from '../../protocol/manifests/service.js';
import type { Random } from '../../base/random.js';
import { chooseEndpoint } from '../../protocol/services/balancer.js';
import { endpointId, type Endpoint } from '../../protocol/services/endpoints.js';
import { decodeMeshHeader, decodeMeshRequest, encodeMeshHeader, encodeMeshRequest, MAX_MESH_REQUEST_BYTES } from '../../protocol/services/mesh-codec.js';
import { dialMember } from '../dial-member.js';
import { countDrop, readFrame } from '../read-frame.js';
import type { SwimService } from '../swim/service.js';
import type { ServiceCatalog } from './catalog.js';
import { pipeSocketStream } from './pipe.js';
import { MAX_DATAGRAM_BYTES, MAX_UDP_FLOWS, replicaSocket, streamSink, UDP_IDLE_MS, UdpFlow, type FlowSink } from './udp-sessions.js';

export const MESH_PROTOCOL = '/shoal/mesh/1.0.0';
/** Endpoints tried for one connection before it is given up. */
const MAX_TRIES = 3;
const CONNECT_TIMEOUT_MS = 5_000;
/** Each proxied connection is a stream; between two busy nodes there are many at once. */
const MAX_STREAMS_PER_CONNECTION = 1024;

export interface MeshCounters {
  /** Connections handed to an endpoint. */
  routed: number;
  /** Connections that reached an endpoint only after another failed before any byte. */
  retried: number;
  /** Connections no endpoint took: none in rotation, or every one tried failed. */
  failed: number;
  /** UDP flows relayed (one per client address and port, until idle). */
  udpFlows: number;
  /** Datagrams dropped: a flow too many, or one no endpoint took. */
  udpDropped: number;
  /** Mesh streams this node refused to serve, by reason. */
  refused: Record<string, number>;
  /** Mesh frames dropped, by decoder code. */
  dropped: Record<string, number>;
}

/** Where a routed connection goes: the port on the replica's node, or a stream to its node. */
type Upstream = { kind: 'socket'; socket: Socket } | { kind: 'stream'; stream: Stream };

/**
 * The routing mesh: a connection to a service, accepted on any node, goes to one of the
 * service's endpoints as this node sees them: to a replica of its own directly, or over
 * a libp2p stream (inside the cluster's private network) to the replica's node, which
 * connects to the replica. No overlay network, no kernel state. A try that fails before
 * any byte moved goes to another endpoint.
 */
export class ServiceMesh {
  readonly counters: MeshCounters = { routed: 0, retried: 0, failed: 0, udpFlows: 0, udpDropped: 0, refused: {}, dropped: {} };
  /** Open connections this node routed, by endpoint: what power-of-two-choices compares. */
  private readonly active = new Map<string, number>();
  /** Every TCP connection this node holds for the mesh, ended when it stops. */
  private readonly open = new Set<Socket>();
  /** UDP flows by listener and client address. */
  private readonly flows = new Map<string, UdpFlow>();

  constructor(
    private readonly host: Libp2p,
    private readonly catalog: ServiceCatalog,
    private readonly swim: SwimService,
    /** Whether a peer id is an admitted node: only those may open mesh streams. */
    private readonly admitted: (peerId: string) => boolean,
    private readonly random: Random,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.host.handle(MESH_PROTOCOL, (stream, connection) => void this.serve(stream, connection), {
      maxInboundStreams: MAX_STREAMS_PER_CONNECTION,
      runOnLimitedConnection: true,
    });
  }

  async stop(): Promise<void> {
    await this.host.unhandle(MESH_PROTOCOL);
    for (const socket of this.open) socket.destroy();
    this.open.clear();
    for (const flow of this.flows.values()) flow.end();
  }

  /** Open connections this node routed to `endpoint`. */
  activeTo(endpoint: Endpoint): number {
    return this.active.get(endpointId(endpoint)) ?? 0;
  }

  /** Routes one accepted connection to the service `id`'s port `port`. */
  async route(client: Socket, id: string, port: number): Promise<void> {
    client.pause();
    this.open.add(client);
    client.once('close', () => this.open.delete(client));
    // A client that goes away while an endpoint is chosen must not take the node down.
    client.on('error', () => undefined);
    const tried = new Set<string>();
    for (let attempt = 0; attempt < MAX_TRIES && !client.destroyed; attempt++) {
      const service = this.catalog.entry(id)?.service;
      const target = service?.ports.find((p) => p.port === port && p.protocol === 'tcp');
      if (service === undefined || target === undefined) break;
      const endpoint = chooseEndpoint(this.catalog.endpoints(service), (e) => this.active.get(e) ?? 0, this.random, tried);
      if (endpoint === undefined) break;
      const key = endpointId(endpoint);
      tried.add(key);
      let upstream: Upstream;
      try {
        upstream = endpoint.local ? { kind: 'socket', socket: await connectTo(endpoint.address as string, target.targetPort) } : await this.openRemote(service, port, endpoint);
      } catch (e) {
        this.log.debug({ service: id, endpoint: key, error: (e as Error).message }, 'an endpoint refused a routed connection; trying another');
        continue;
      }
      if (client.destroyed) {
        // The client left while the endpoint was reached: nothing to join.
        if (upstream.kind === 'socket') upstream.socket.destroy();
        else upstream.stream.abort(new Error('the client went away'));
        return;
      }
      this.counters.routed++;
      if (attempt > 0) this.counters.retried++;
      this.active.set(key, (this.active.get(key) ?? 0) + 1);
      try {
        await (upstream.kind === 'socket' ? pipeSockets(client, upstream.socket) : pipeSocketStream(client, upstream.stream));
      } finally {
        this.release(key);
      }
      return;
    }
    this.counters.failed++;
    this.log.debug({ service: id, port, tried: [...tried] }, 'no endpoint took a routed connection');
    client.destroy();
  }

  /**
   * Relays one datagram a client sent to a UDP listener (`listenerKey` names it): each
   * client address and port is a flow, sent to one endpoint until it goes idle, with the
   * endpoint's answers sent back from the listener's port.
   */
  relay(listener: UdpSocket, listenerKey: string, datagram: Buffer, client: RemoteInfo, id: string, port: number): void {
    const key = `${listenerKey} ${client.address}:${client.port}`;
    const known = this.flows.get(key);
    if (known !== undefined) return known.fromClient(datagram);
    if (this.flows.size >= MAX_UDP_FLOWS) {
      this.counters.udpDropped++;
      return;
    }
    let endpointKey: string | undefined;
    const flow = new UdpFlow(listener, client, () => {
      this.flows.delete(key);
      if (endpointKey !== undefined) this.release(endpointKey);
    });
    this.flows.set(key, flow);
    this.counters.udpFlows++;
    flow.fromClient(datagram);
    void (async () => {
      const tried = new Set<string>();
      for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
        const service = this.catalog.entry(id)?.service;
        const target = service?.ports.find((p) => p.port === port && p.protocol === 'udp');
        if (service === undefined || target === undefined) break;
        const endpoint = chooseEndpoint(this.catalog.endpoints(service), (e) => this.active.get(e) ?? 0, this.random, tried);
        if (endpoint === undefined) break;
        tried.add(endpointId(endpoint));
        try {
          const sink: FlowSink = endpoint.local
            ? await replicaSocket(
                endpoint.address as string,
                target.targetPort,
                (d) => flow.toClient(d),
                () => flow.end(),
              )
            : await this.openRemoteFlow(service, port, endpoint, flow);
          endpointKey = endpointId(endpoint);
          this.active.set(endpointKey, (this.active.get(endpointKey) ?? 0) + 1);
          flow.open(sink);
          return;
        } catch (e) {
          this.log.debug({ service: id, endpoint: endpointId(endpoint), error: (e as Error).message }, 'an endpoint refused a UDP flow; trying another');
        }
      }
      this.counters.udpDropped++;
      flow.end();
    })();
  }

  private release(key: string): void {
    const left = (this.active.get(key) ?? 1) - 1;
    if (left > 0) this.active.set(key, left);
    else this.active.delete(key);
  }

  private async openRemoteFlow(service: Service, port: number, endpoint: Endpoint, flow: UdpFlow): Promise<FlowSink> {
    const upstream = await this.openRemote(service, port, endpoint, 'udp');
    if (upstream.kind !== 'stream') throw new Error('a mesh flow is a stream');
    const { stream } = upstream;
    return streamSink(
      lpStream(stream, { maxDataLength: MAX_DATAGRAM_BYTES }),
      stream,
      (d) => flow.toClient(d),
      () => flow.end(),
    );
  }

  private async openRemote(service: Service, port: number, endpoint: Endpoint, protocol: 'tcp' | 'udp' = 'tcp'): Promise<Upstream> {
    const signal = AbortSignal.timeout(CONNECT_TIMEOUT_MS);
    const stream = await dialMember(this.host, endpoint.node, this.swim.member(endpoint.node)?.record.addrs ?? [], MESH_PROTOCOL, signal, {
      maxOutboundStreams: MAX_STREAMS_PER_CONNECTION,
    });
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_MESH_REQUEST_BYTES });
      await lp.write(
        encodeMeshRequest({ service: `${service.namespace}/${service.name}`, port, protocol, workload: endpoint.workload, slot: endpoint.slot, epoch: endpoint.epoch }),
        {
          signal,
        },
      );
      const header = await readFrame(lp, decodeMeshHeader, this.counters.dropped, signal);
      if (!header.ok) throw new Error(`a bad header (${header.error.code})`);
      if (header.value.error !== undefined) throw new Error(header.value.error);
      return { kind: 'stream', stream: lp.unwrap() };
    } catch (e) {
      stream.abort(e as Error);
      throw e;
    }
  }

  /**
   * A peer asks this node to connect it to one of its replicas. Only an admitted node may,
   * and only to a replica that is an endpoint of the service it names, as this node sees
   * it: the request names no address, so the mesh reaches nothing else on this host.
   */
  private async serve(stream: Stream, connection: Connection): Promise<void> {
    const refuse = (reason: string): void => {
      countDrop(this.counters.refused, reason);
      stream.abort(new Error(`refused: ${reason}`));
    };
    if (!this.admitted(connection.remotePeer.toString())) return refuse('not-admitted');
    const lp = lpStream(stream, { maxDataLength: MAX_MESH_REQUEST_BYTES });
    let replica: Socket | undefined;
    try {
      const request = await readFrame(lp, decodeMeshRequest, this.counters.dropped, AbortSignal.timeout(CONNECT_TIMEOUT_MS));
      if (!request.ok) return refuse('bad-request');
      const { service: id, port, protocol, workload, slot, epoch } = request.value;
      const service = this.catalog.entry(id)?.service;
      const target = service?.ports.find((p) => p.port === port && p.protocol === protocol);
      const endpoint = service === undefined ? undefined : this.catalog.endpoints(service).find((e) => e.local && e.workload === workload && e.slot === slot && e.epoch === epoch);
      if (target === undefined || endpoint === undefined || endpoint.excluded !== null) {
        countDrop(this.counters.refused, 'not-an-endpoint');
        await lp.write(encodeMeshHeader({ error: endpoint?.excluded ?? `no endpoint ${workload}#${slot} of ${id}:${port} here` }));
        await stream.close();
        return;
      }
      if (protocol === 'udp') return await this.serveFlow(stream, lp, endpoint.address as string, target.targetPort);
      try {
        replica = await connectTo(endpoint.address as string, target.targetPort);
      } catch (e) {
        countDrop(this.counters.refused, 'replica-refused');
        await lp.write(encodeMeshHeader({ error: `the replica refused: ${(e as Error).message}` }));
        await stream.close();
        return;
      }
      await lp.write(encodeMeshHeader({}));
      this.open.add(replica);
      await pipeSocketStream(replica, lp.unwrap());
    } catch (e) {
      stream.abort(e as Error);
      replica?.destroy();
    } finally {
      if (replica !== undefined) this.open.delete(replica);
    }
  }
  /** The replica's side of a UDP flow: frames from the stream to a socket connected to the replica, its answers back. */
  private async serveFlow(stream: Stream, lp: LengthPrefixedStream<Stream>, address: string, port: number): Promise<void> {
    const idle = setTimeout(() => stream.abort(new Error('the UDP flow went idle')), UDP_IDLE_MS);
    // Set once the header is out; a replica answers only what it was sent, which comes after.
    let frames: LengthPrefixedStream<Stream> | undefined;
    let sink: FlowSink;
    try {
      sink = await replicaSocket(
        address,
        port,
        (d) => {
          idle.refresh();
          void frames?.write(d).catch(() => stream.abort(new Error('the stream failed')));
        },
        () => stream.abort(new Error('the replica socket failed')),
      );
    } catch (e) {
      clearTimeout(idle);
      countDrop(this.counters.refused, 'replica-refused');
      await lp.write(encodeMeshHeader({ error: `the replica refused: ${(e as Error).message}` }));
      await stream.close();
      return;
    }
    try {
      await lp.write(encodeMeshHeader({}));
      frames = lpStream(lp.unwrap(), { maxDataLength: MAX_DATAGRAM_BYTES });
      for (;;) {
        const datagram = await frames.read();
        idle.refresh();
        sink.send(datagram.subarray());
      }
    } catch {
      // The stream ended, was reset, or went idle: the flow is over.
    } finally {
      clearTimeout(idle);
      sink.close();
    }
  }
}

function connectTo(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: CONNECT_TIMEOUT_MS, allowHalfOpen: true });
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`${host}:${port}: no answer within ${CONNECT_TIMEOUT_MS} ms`));
    });
    socket.once('error', (e) => reject(e));
  });
}

/** Two TCP connections joined both ways, each end passed on, until both close; one closing closes the other. */
function pipeSockets(a: Socket, b: Socket): Promise<void> {
  return new Promise((resolve) => {
    a.pipe(b);
    b.pipe(a);
    const fail = (): void => {
      a.destroy();
      b.destroy();
    };
    a.on('error', fail);
    b.on('error', fail);
    let closed = 0;
    const onClose = (other: Socket) => (): void => {
      other.destroy();
      if (++closed === 2) resolve();
    };
    a.once('close', onClose(b));
    b.once('close', onClose(a));
    a.resume();
  });
}

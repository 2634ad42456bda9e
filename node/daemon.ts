import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { cpus, totalmem } from 'node:os';
import { pino, type Logger } from 'pino';
import { swimConfig, type SwimPreset } from '../protocol/swim/index.js';
import { createApi } from './api.js';
import { loadCluster } from './cluster.js';
import { dataPaths, lockDataDir, writeJsonFile } from './data-dir.js';
import { AddressInUseError } from './errors.js';
import { createHost, loopbackTrust } from './host.js';
import { loadOrCreateIdentity } from './identity.js';
import { Redialer } from './redialer.js';
import { SwimService } from './swim-service.js';
import { createSwimTransport } from './swim-transport.js';
import { SHOAL_VERSION } from './version.js';

export interface NodeOptions {
  dataDir: string;
  listen: string[];
  api: { host: string; port: number };
  seeds: string[];
  labels: Record<string, string>;
  preset: SwimPreset;
  log?: Logger;
}

export interface RunningNode {
  peerId: string;
  listenAddrs: string[];
  apiUrl: string;
  redialer: Redialer;
  /** Graceful leave, then stop everything and release the data directory. */
  stop(): Promise<void>;
}

const inUse = (e: unknown): boolean => /EADDRINUSE|address already in use/i.test(String((e as Error)?.message ?? e));

/** Starts one Shoal node: libp2p host, SWIM, seed re-dialing and the HTTP API. */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const log = options.log ?? pino({ level: process.env.SHOAL_LOG_LEVEL ?? 'info' });
  const seeds: Multiaddr[] = options.seeds.map((s) => multiaddr(s));
  const unlock = lockDataDir(options.dataDir);
  const cleanup: (() => Promise<void> | void)[] = [unlock];
  const unwind = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    const cluster = loadCluster(options.dataDir);
    const privateKey = await loadOrCreateIdentity(options.dataDir);
    const host = await createHost({ privateKey, psk: cluster.psk, clusterId: cluster.id, listen: options.listen, ...loopbackTrust }).catch(
      (e: unknown) => {
        throw inUse(e) ? new AddressInUseError(options.listen.join(', ')) : e;
      },
    );
    cleanup.push(() => host.stop());
    const config = swimConfig[options.preset]();
    const listenAddrs = host.getMultiaddrs().map((a) => a.toString());
    const swim = new SwimService({
      config,
      log,
      self: {
        id: host.peerId.toString(),
        addrs: listenAddrs.slice(0, 16),
        labels: options.labels,
        capacity: { cpuMillis: cpus().length * 1000, memoryBytes: totalmem() },
        version: SHOAL_VERSION,
      },
    });
    const transport = await createSwimTransport(host, {
      maxFrameBytes: config.maxSyncBytes,
      dialTimeoutMs: 5_000,
      onFrame: (from, frame) => swim.receive(from, frame),
    });
    swim.start(transport);
    cleanup.push(() => swim.stop(), () => transport.stop());

    const api = createApi({ swim, transport, clusterId: cluster.id, startedAt: new Date() });
    await api.listen({ host: options.api.host, port: options.api.port }).catch((e: unknown) => {
      throw inUse(e) ? new AddressInUseError(`${options.api.host}:${options.api.port}`) : e;
    });
    cleanup.push(() => api.close());
    const address = api.server.address();
    const apiUrl = typeof address === 'object' && address !== null ? `http://${options.api.host}:${address.port}` : '';

    const redialer = new Redialer(host, swim, seeds, { intervalMs: Math.max(1_000, config.probeIntervalMs * 2), dialTimeoutMs: 5_000, log });
    redialer.start();
    cleanup.push(() => redialer.stop());
    writeJsonFile(dataPaths(options.dataDir).runtime, { pid: process.pid, peerId: swim.id, listen: listenAddrs, api: apiUrl });

    let stopping: Promise<void> | undefined;
    return {
      peerId: swim.id,
      listenAddrs,
      apiUrl,
      redialer,
      stop: () => {
        stopping ??= (async () => {
          await swim.leave();
          await unwind();
        })();
        return stopping;
      },
    };
  } catch (e) {
    await unwind();
    throw e;
  }
}

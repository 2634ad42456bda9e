import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dataPaths, readJsonFile } from '../node/data-dir.js';
import type { TokenApi } from '../node/join-token.js';

/** The running node's API, if it is served over TLS (reachable from other machines), as a token carries it. */
export function advertisedApis(dataDir: string): TokenApi[] {
  const runtime = dataPaths(dataDir).runtime;
  if (!existsSync(runtime)) return [];
  const { api, apiFingerprint } = readJsonFile(runtime) as { api?: unknown; apiFingerprint?: unknown };
  if (typeof api !== 'string' || typeof apiFingerprint !== 'string' || !api.startsWith('https://')) return [];
  const { host, hostname } = new URL(api);
  // Bound to every address: which one others reach is not known here.
  if (hostname === '0.0.0.0' || hostname === '[::]') return [];
  return [{ api: host, fingerprint: apiFingerprint }];
}

/** Addresses other machines can dial: a running node's real listen addresses, else this host's first IPv4 and the given port. */
export function advertisedSeeds(dataDir: string, peerId: string, port: number): string[] {
  const runtime = dataPaths(dataDir).runtime;
  if (existsSync(runtime)) {
    const listen = (readJsonFile(runtime) as { listen?: unknown }).listen;
    if (Array.isArray(listen) && listen.length > 0) {
      const external = listen.filter((a): a is string => typeof a === 'string' && !a.startsWith('/ip4/127.'));
      return (external.length > 0 ? external : (listen as string[])).slice(0, 4);
    }
  }
  const ipv4 = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
  return [`/ip4/${ipv4 ?? '127.0.0.1'}/tcp/${port}/p2p/${peerId}`];
}

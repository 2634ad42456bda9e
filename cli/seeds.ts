import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dataPaths, readJsonFile } from '../node/data-dir.js';

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

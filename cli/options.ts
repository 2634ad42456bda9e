import { multiaddr } from '@multiformats/multiaddr';
import { existsSync } from 'node:fs';
import { dataPaths, readJsonFile } from '../node/data-dir.js';
import { isLoopback } from '../node/api/tls.js';
import { UserError } from '../node/errors.js';
import type { Endpoint } from './client.js';
import { LABEL_KEY } from '../protocol/swim/codec.js';

export const DEFAULT_P2P_PORT = 7370;
export const DEFAULT_API = '127.0.0.1:7371';

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function parseSeed(value: string, flag = '--seed'): string {
  try {
    return multiaddr(value).toString();
  } catch (e) {
    throw new UserError(`invalid ${flag} '${value}': ${(e as Error).message} (expected a multiaddr such as /ip4/10.0.0.5/tcp/${DEFAULT_P2P_PORT})`);
  }
}

const LABEL_VALUE = /^[-A-Za-z0-9_.]{0,63}$/;

export function parseLabels(values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    const key = value.slice(0, at);
    const labelValue = value.slice(at + 1);
    if (at < 0 || !LABEL_KEY.test(key) || !LABEL_VALUE.test(labelValue)) {
      throw new UserError(`invalid --label '${value}': expected key=value (letters, digits, - _ . and / in keys)`);
    }
    labels[key] = labelValue;
  }
  return labels;
}

export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new UserError(`invalid ${flag} '${value}': expected HOST:PORT, such as ${DEFAULT_API}`);
  return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
}

/** `HOST:PORT` as a URL: `http` on loopback, where a node serves plain HTTP; `https` anywhere else. */
export function urlOfApi(api: string, flag = '--api'): string {
  const { host, port } = parseHostPort(api, flag);
  return `${isLoopback(host) ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The API of the node running on `dataDir`, as it recorded at start, else the default. */
export function localEndpoint(dataDir: string): Endpoint {
  const runtime = dataPaths(dataDir).runtime;
  if (existsSync(runtime)) {
    const { api, apiFingerprint } = readJsonFile(runtime) as { api?: unknown; apiFingerprint?: unknown };
    if (typeof api === 'string' && api.length > 0) return { url: api, fingerprint: typeof apiFingerprint === 'string' ? apiFingerprint : undefined };
  }
  return { url: `http://${DEFAULT_API}` };
}

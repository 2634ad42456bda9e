import { randomBytes } from 'node:crypto';
import { MAX_PREV, readingAfter, signDelta, type Delta, type Hlc, type Op } from '../crdt/index.js';
import { UserError } from '../node/errors.js';
import { loadOperatorKey, type OperatorKey } from '../node/operator-key.js';
import { signatureHeaders } from '../node/request-signature.js';
import { readApiError } from '../protocol/api/errors.js';
import { FingerprintMismatchError } from './fingerprint-mismatch.js';

/** A node's API: `http://` on loopback, else `https://` with the fingerprint of the node's certificate. */
export interface Endpoint {
  url: string;
  fingerprint?: string | undefined;
}

/** One node's API, or several of one cluster (a context): any of them answers any request. */
export type ApiTarget = string | Endpoint | readonly Endpoint[];

const endpointsOf = (target: ApiTarget): Endpoint[] => (typeof target === 'string' ? [{ url: target }] : Array.isArray(target) ? [...target] : [target as Endpoint]);

/** Errors of the connect phase: nothing of the request reached the node, so another node may take it. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN']);
const connectFailed = (e: unknown): boolean => {
  const cause = (e as { cause?: { code?: string } }).cause;
  return cause instanceof FingerprintMismatchError || CONNECT_FAILURES.has(cause?.code ?? '');
};

/**
 * A node's HTTP API, as the CLI uses it: every request signed with the operator key
 * (node/request-signature.ts). Given several nodes, it tries the next when one cannot
 * be reached, and stays with the one that answered.
 */
export class ApiClient {
  private loaded: OperatorKey | undefined;
  private readonly endpoints: Endpoint[];
  private current = 0;

  /** `key`: the operator key, or the path of its file, read at the first request. */
  constructor(
    target: ApiTarget,
    private readonly key: OperatorKey | string,
  ) {
    this.endpoints = endpointsOf(target);
    if (this.endpoints.length === 0) throw new UserError('no node to talk to: the context lists none');
  }

  /** The node that answered last (else the first to try). */
  get baseUrl(): string {
    return (this.endpoints[this.current] as Endpoint).url;
  }

  get operatorKey(): OperatorKey {
    this.loaded ??= typeof this.key === 'string' ? loadOperatorKey(this.key) : this.key;
    return this.loaded;
  }

  async get<T>(path: string): Promise<T | undefined> {
    const response = await this.fetch(path);
    if (response.status === 404) return undefined;
    if (response.status === 401 || response.status === 403) throw new UserError(await refusal(response, this.operatorKey));
    if (!response.ok) throw new UserError(`${this.baseUrl}${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** The response itself, for streams. */
  raw(path: string): Promise<Response> {
    return this.fetch(path);
  }

  async post<T>(path: string, body: unknown): Promise<{ status: number; body: T }> {
    const response = await this.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as T };
  }

  private async fetch(path: string, init: SignedInit = {}): Promise<Response> {
    const failures: string[] = [];
    let mismatch: FingerprintMismatchError | undefined;
    for (let tried = 0; tried < this.endpoints.length; tried++) {
      const index = (this.current + tried) % this.endpoints.length;
      const endpoint = this.endpoints[index] as Endpoint;
      try {
        const response = await signedFetch(this.operatorKey, endpoint.fingerprint)(`${endpoint.url}${path}`, init);
        this.current = index;
        return response;
      } catch (e) {
        if (e instanceof UserError) throw e;
        const cause = (e as Error).cause;
        if (cause instanceof FingerprintMismatchError) mismatch = cause;
        failures.push(`${endpoint.url} (${cause instanceof Error ? cause.message : String(cause ?? (e as Error).message)})`);
        // A request that may have reached its node is not sent to another: exec must not run twice.
        if (!connectFailed(e)) break;
      }
    }
    // Every node that answered was an impostor: say that, not that nothing answers.
    if (mismatch !== undefined && failures.length === this.endpoints.length) throw mismatch;
    throw new UserError(`no Shoal node answers at ${failures.join('; ')}: is \`shoal start\` running? Use --api HOST:PORT, or a context`);
  }
}

type SignedInit = Omit<RequestInit, 'body' | 'headers'> & { body?: string; headers?: Record<string, string> };

/**
 * `fetch`, with each request signed by `key` (a key, or the path of its file) as a node's
 * API requires; to an `https` URL only over TLS pinned to `fingerprint`.
 */
export function signedFetch(key: OperatorKey | string, fingerprint?: string): (url: string, init?: SignedInit) => Promise<Response> {
  const operator = typeof key === 'string' ? loadOperatorKey(key) : key;
  return async (url, init = {}) => {
    const signed = { ...init, headers: { ...init.headers, ...(await signatureHeaders(operator, init.method ?? 'GET', url, init.body)) } };
    if (!url.startsWith('https:')) return fetch(url, signed);
    if (fingerprint === undefined) {
      throw new UserError(
        `${new URL(url).host} speaks TLS with a certificate of its own: give its fingerprint (--fingerprint, as \`shoal start\` logs it and \`shoal token\` carries it), or use a context`,
      );
    }
    // Loaded only for a TLS node: the HTTP client it brings (undici) would slow every command's start.
    const { pinnedFetch } = await import('./pinned-tls.js');
    return pinnedFetch(fingerprint)(url, signed);
  };
}

/** A 401 or 403 as a sentence that names the key, which is usually what is wrong, and what to do. */
async function refusal(response: Response, key: OperatorKey): Promise<string> {
  const body = readApiError(await response.json().catch(() => undefined));
  const named = `operator key ${key.publicKey.slice(0, 16)}… (${key.path})`;
  if (body.code === 'not-an-operator') return `the cluster does not know ${named}: an operator must run \`shoal operator add ${key.publicKey}\``;
  if (body.code === 'removed') return `${named} was removed from the cluster's operators; nothing was done`;
  return `the node refused ${named}: ${body.detail ?? response.status}`;
}

/**
 * Signs `ops` with the operator key on this side of the API (the node never sees the
 * key) and submits them as one delta, as a writer of its own. The node suggests a
 * clock reading past everything it has seen, so this write orders after what the user
 * just read, even when this machine's clock is behind, and the key's heads, so the
 * write extends the key's chain (what a revocation of the key will pin).
 */
export async function writeOps(client: ApiClient, key: OperatorKey, ops: Op[]): Promise<{ id: string; changed: string[] }> {
  const status = await client.get<{ cluster: string }>('/v1/status');
  const author = await client.get<{ heads?: string[]; hlc: Hlc }>(`/v1/authors/${key.publicKey}`);
  if (status === undefined || author === undefined) throw new UserError(`${client.baseUrl} is not a Shoal node`);
  const hlc = readingAfter(author.hlc, Date.now());
  const heads = (author.heads ?? []).slice(-MAX_PREV);
  // Each invocation is a writer of its own, so two terminals (or two sides of a
  // partition) writing with one key at once are not mistaken for an equivocation.
  const writer = randomBytes(8).toString('hex');
  const delta: Delta = signDelta({ v: 1, cluster: status.cluster, author: key.publicKey, writer, seq: 1, ...(heads.length > 0 ? { prev: heads } : {}), hlc, ops }, key.sign);
  const reply = await client.post<{ id: string; changed?: string[] }>('/v1/deltas', delta);
  if (reply.status === 201 || reply.status === 200) return { id: delta.id, changed: reply.body.changed ?? [] };
  const refused = readApiError(reply.body);
  if (refused.code === 'not-an-operator' || refused.code === 'revoked') {
    throw new UserError(`operator key ${key.publicKey.slice(0, 16)}… (${key.path}) was removed from the cluster's operators; nothing was written`);
  }
  if (refused.code === 'unknown-author') {
    throw new UserError(`the cluster does not know operator key ${key.publicKey.slice(0, 16)}… (${key.path}): an operator must run \`shoal operator add ${key.publicKey}\``);
  }
  throw new UserError(`the node refused the write: ${refused.error ?? reply.status}${refused.detail ? ` (${refused.detail})` : ''}`);
}

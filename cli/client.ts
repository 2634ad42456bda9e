import { randomBytes } from 'node:crypto';
import { MAX_PREV, signDelta, type Delta, type Hlc, type Op } from '../crdt/index.js';
import { UserError } from '../node/errors.js';
import { loadOperatorKey, type OperatorKey } from '../node/operator-key.js';
import { signatureHeaders } from '../node/request-signature.js';

/** A node's HTTP API, as the CLI uses it: every request signed with the operator key (node/request-signature.ts). */
export class ApiClient {
  private loaded: OperatorKey | undefined;

  /** `key`: the operator key, or the path of its file, read at the first request. */
  constructor(
    readonly baseUrl: string,
    private readonly key: OperatorKey | string,
  ) {}

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
    return signedFetch(this.operatorKey)(`${this.baseUrl}${path}`, init).catch((e: unknown) => {
      throw new UserError(`no Shoal node answers at ${this.baseUrl} (${(e as Error).cause ?? (e as Error).message}): is \`shoal start\` running? Use --api HOST:PORT`);
    });
  }
}

type SignedInit = Omit<RequestInit, 'body' | 'headers'> & { body?: string; headers?: Record<string, string> };

/** `fetch`, with each request signed by `key` (a key, or the path of its file) as a node's API requires. */
export function signedFetch(key: OperatorKey | string): (url: string, init?: SignedInit) => Promise<Response> {
  const operator = typeof key === 'string' ? loadOperatorKey(key) : key;
  return async (url, init = {}) => fetch(url, { ...init, headers: { ...init.headers, ...(await signatureHeaders(operator, init.method ?? 'GET', url, init.body)) } });
}

/** A 401 or 403 as a sentence that names the key, which is usually what is wrong, and what to do. */
async function refusal(response: Response, key: OperatorKey): Promise<string> {
  const body = (await response.json().catch(() => ({}))) as { error?: string; detail?: string };
  const named = `operator key ${key.publicKey.slice(0, 16)}… (${key.path})`;
  if (body.error === 'not-an-operator') return `the cluster does not know ${named}: an operator must run \`shoal operator add ${key.publicKey}\``;
  if (body.error === 'removed') return `${named} was removed from the cluster's operators; nothing was done`;
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
  const now = Date.now();
  const hlc: Hlc = now > author.hlc.wallMs ? { wallMs: now, counter: 0 } : { wallMs: author.hlc.wallMs, counter: author.hlc.counter + 1 };
  const heads = (author.heads ?? []).slice(-MAX_PREV);
  // Each invocation is a writer of its own, so two terminals (or two sides of a
  // partition) writing with one key at once are not mistaken for an equivocation.
  const writer = randomBytes(8).toString('hex');
  const delta: Delta = signDelta({ v: 1, cluster: status.cluster, author: key.publicKey, writer, seq: 1, ...(heads.length > 0 ? { prev: heads } : {}), hlc, ops }, key.secret);
  const reply = await client.post<{ id: string; changed?: string[]; error?: string; detail?: string }>('/v1/deltas', delta);
  if (reply.status === 201 || reply.status === 200) return { id: delta.id, changed: reply.body.changed ?? [] };
  if (reply.body.error === 'not-an-operator' || reply.body.error === 'revoked') {
    throw new UserError(`operator key ${key.publicKey.slice(0, 16)}… (${key.path}) was removed from the cluster's operators; nothing was written`);
  }
  if (reply.body.error === 'unknown-author') {
    throw new UserError(`the cluster does not know operator key ${key.publicKey.slice(0, 16)}… (${key.path}): an operator must run \`shoal operator add ${key.publicKey}\``);
  }
  throw new UserError(`the node refused the write: ${reply.body.error ?? reply.status}${reply.body.detail ? ` (${reply.body.detail})` : ''}`);
}

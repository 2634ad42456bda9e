import { signedFetch, type Endpoint } from '../../../cli/client.js';
import type { OperatorKey } from '../../../node/operator-key.js';

/** A node's API as the scenario reads it, signed: every call has a deadline, since a paused node accepts and never answers. */
export async function getJson<T>(api: Endpoint, key: OperatorKey, path: string, signal: AbortSignal): Promise<T> {
  const response = await signedFetch(key, api.fingerprint)(`${api.url}${path}`, { signal });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return (await response.json()) as T;
}

/** A failed call in a few words for the history: a deadline, a refused connection, a status. */
export function failureText(e: unknown, timeoutMs: number): string {
  const error = e as Error & { cause?: { code?: string } };
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  return error.cause?.code ?? error.message ?? String(e);
}

import { poll } from '../poll.js';
import type { NodeJson } from '../../node/api.js';

/** A paused node accepts the connection and never answers: every call has a deadline. */
const CALL_TIMEOUT_MS = 2_000;

export async function getJson<T>(api: string, path: string): Promise<T> {
  const response = await fetch(`${api}${path}`, { signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${api}${path} answered ${response.status}`);
  return (await response.json()) as T;
}

export async function postJson<T>(api: string, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`${api}${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

export interface NodeStatus {
  id: string;
  cluster: string;
}

export const waitForApi = (api: string, timeoutMs: number): Promise<NodeStatus> => poll(`the API at ${api}`, () => getJson<NodeStatus>(api, '/v1/status'), timeoutMs);

export const members = (api: string): Promise<NodeJson[]> => getJson<NodeJson[]>(api, '/v1/nodes');

/** Resolves once every API in `apis` sees `count` alive members. */
export async function waitForAlive(apis: readonly string[], count: number, timeoutMs: number): Promise<void> {
  await Promise.all(
    apis.map((api) =>
      poll(
        `${count} alive members at ${api}`,
        async () => {
          const seen = await members(api);
          if (seen.filter((m) => m.state === 'alive').length === count) return true;
          // Thrown, so a time-out says what the node saw last.
          throw new Error(`it sees ${seen.map((m) => `…${m.id.slice(-6)} ${m.state}`).join(', ')}`);
        },
        timeoutMs,
      ),
    ),
  );
}

import { poll } from '../poll.js';
import { signedFetch, type Endpoint } from '../../cli/client.js';
import type { NodeJson } from '../../protocol/api/nodes.js';
import type { OperatorKey } from '../../node/operator-key.js';

/** A paused node accepts the connection and never answers: every call has a deadline. */
const CALL_TIMEOUT_MS = 2_000;
/**
 * A call a node must answer, though it is busy: a node that has just started catches up
 * (its stored state, its replicas, anti-entropy) and runs late for a while, and on a busy
 * machine its answers took over 2 s for a minute after its API came up (event-loop lag of
 * 5 s); a fault's injection on a running node once took over 2 s at a load of 13.
 */
export const PATIENT_CALL_TIMEOUT_MS = 10_000;

/** Every request is signed with the testnet's operator key, as the API requires. */
export async function getJson<T>(api: Endpoint, key: OperatorKey, path: string, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
  const response = await signedFetch(key, api.fingerprint)(`${api.url}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${api.url}${path} answered ${response.status}`);
  return (await response.json()) as T;
}

export async function postJson<T>(api: Endpoint, key: OperatorKey, path: string, body: unknown, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
  const response = await signedFetch(key, api.fingerprint)(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`${api.url}${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

export interface NodeStatus {
  id: string;
  cluster: string;
}

/** Polls /v1/status of a node that is starting until it answers; `onFailure` sees each call that did not. */
export const waitForApi = (api: Endpoint, key: OperatorKey, timeoutMs: number, onFailure?: (e: unknown) => void): Promise<NodeStatus> =>
  poll(`the API at ${api.url}`, () => getJson<NodeStatus>(api, key, '/v1/status', PATIENT_CALL_TIMEOUT_MS), timeoutMs, onFailure);

export const members = (api: Endpoint, key: OperatorKey): Promise<NodeJson[]> => getJson<NodeJson[]>(api, key, '/v1/nodes');

/** Resolves once every API in `apis` sees `count` alive members. */
export async function waitForAlive(apis: readonly Endpoint[], key: OperatorKey, count: number, timeoutMs: number): Promise<void> {
  await Promise.all(
    apis.map((api) =>
      poll(
        `${count} alive members at ${api.url}`,
        async () => {
          const seen = await members(api, key);
          if (seen.filter((m) => m.state === 'alive').length === count) return true;
          // Thrown, so a time-out says what the node saw last.
          throw new Error(`it sees ${seen.map((m) => `…${m.id.slice(-6)} ${m.state}`).join(', ')}`);
        },
        timeoutMs,
      ),
    ),
  );
}

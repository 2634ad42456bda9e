import { randomBytes } from 'node:crypto';
import { type Hlc, MAX_PREV, type Op, readingAfter, signDelta, type Stamp, stampOf } from '../../../crdt/index.js';
import type { OperatorKey } from '../../../node/operator-key.js';
import { signedFetch, type Endpoint } from '../../../cli/client.js';
import { getJson } from './http.js';

/**
 * A write as `shoal apply` makes it (writeOps in cli/client.ts), with two differences the
 * checker needs: one deadline over all of its requests, and the stamp handed to `signed`
 * before the delta is posted, so that a write whose answer never comes is still known by
 * the stamp it would merge with. Resolves with the delta's id once the node has synced it
 * to disk (201, or 200 for a delta it already held).
 */
export async function signedWrite(api: Endpoint, cluster: string, key: OperatorKey, ops: Op[], signal: AbortSignal, signed: (stamp: Stamp) => void): Promise<string> {
  const author = await getJson<{ heads?: string[]; hlc: Hlc }>(api, key, `/v1/authors/${key.publicKey}`, signal);
  const hlc = readingAfter(author.hlc, Date.now());
  // A writer of its own per write, as the CLI: clients writing at once with one key are
  // one operator in several places, not an equivocator (issue 20, item 4).
  const heads = (author.heads ?? []).slice(-MAX_PREV);
  const writer = randomBytes(8).toString('hex');
  const delta = signDelta({ v: 1, cluster, author: key.publicKey, writer, seq: 1, ...(heads.length > 0 ? { prev: heads } : {}), hlc, ops }, key.sign);
  signed(stampOf(delta));
  const response = await signedFetch(key, api.fingerprint)(`${api.url}/v1/deltas`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(delta),
    signal,
  });
  if (response.status === 201 || response.status === 200) {
    // The status is the acknowledgement; reading the body could still run into the deadline.
    void response.body?.cancel();
    return delta.id;
  }
  const body = (await response.json().catch(() => ({}))) as { error?: string; detail?: string };
  throw new Error(`refused with ${response.status}${body.error === undefined ? '' : ` ${body.error}`}${body.detail === undefined ? '' : ` (${body.detail})`}`);
}

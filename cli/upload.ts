import { open } from 'node:fs/promises';
import { UserError } from '../node/errors.js';
import { readApiError } from '../protocol/api/errors.js';
import type { UploadChunkJson, UploadFinishJson, UploadFinishRequest, UploadJson } from '../protocol/api/uploads.js';
import type { ApiClient } from './client.js';
import { formatBytes } from './bytes.js';

/** Times one upload is begun again after its node lost it (a restart, a failover to another node). */
const MAX_RESTARTS = 3;
/** Chunk requests in a row that may fail (a dropped connection) before the push gives up; each is resumed. */
const MAX_CHUNK_FAILURES = 5;
const RETRY_PAUSE_MS = 1_000;

/**
 * Uploads `file` to the node in chunks (node/api/uploads.ts), resuming where the node
 * says the upload stands, then has the node finish it as `finish` says: what `shoal
 * artifact push` and `shoal image push --file` send.
 */
export async function uploadFile(client: ApiClient, file: string, sizeBytes: number, finish: UploadFinishRequest, what: string): Promise<UploadFinishJson> {
  for (let restarts = 0; ; restarts++) {
    const begun = await client.post<UploadJson>('/v1/uploads', {});
    if (begun.status !== 200) throw refused('the node refused the upload', begun);
    const { upload: id, maxChunkBytes, maxUploadBytes } = begun.body;
    if (sizeBytes > maxUploadBytes) throw new UserError(`${what} is ${formatBytes(sizeBytes)}: a node takes uploads of at most ${formatBytes(maxUploadBytes)}`);
    const sent = await sendChunks(client, id, file, sizeBytes, maxChunkBytes);
    const finished = sent ? await client.post<UploadFinishJson>(`/v1/uploads/${id}/finish`, finish) : undefined;
    if (finished?.status === 200) return finished.body;
    // The node no longer knows the upload: begin again, from the first byte.
    if ((finished === undefined || finished.status === 404) && restarts < MAX_RESTARTS) continue;
    if (finished === undefined) throw new UserError(`the node lost the upload ${MAX_RESTARTS + 1} times`);
    throw refused(`the node refused ${what}`, finished);
  }
}

/** Sends the file from where the node says the upload stands; false if the node no longer knows the upload. */
async function sendChunks(client: ApiClient, id: string, file: string, sizeBytes: number, maxChunkBytes: number): Promise<boolean> {
  const source = await open(file, 'r');
  try {
    let offset = 0;
    let failures = 0;
    let conflicts = 0;
    while (offset < sizeBytes) {
      const chunk = Buffer.alloc(Math.min(maxChunkBytes, sizeBytes - offset));
      await source.read(chunk, 0, chunk.length, offset);
      let reply: { status: number; body: unknown };
      try {
        reply = await client.post<unknown>(`/v1/uploads/${id}/chunks`, { offset, data: chunk.toString('base64') });
        failures = 0;
      } catch (e) {
        // The chunk may have arrived: the next try at this offset is told where the upload stands.
        if (++failures > MAX_CHUNK_FAILURES) throw e;
        await pause(RETRY_PAUSE_MS);
        continue;
      }
      if (reply.status === 200) {
        offset = standing((reply.body as UploadChunkJson).sizeBytes, sizeBytes);
        continue;
      }
      if (reply.status === 404) return false;
      const refusal = readApiError(reply.body);
      if (reply.status === 409 && ++conflicts <= 16) {
        // Not where the node stands (a chunk whose answer was lost), or another request on it under way.
        offset = standing((reply.body as { sizeBytes?: unknown }).sizeBytes, sizeBytes);
        if (refusal.code === 'upload-busy') await pause(RETRY_PAUSE_MS);
        continue;
      }
      throw refused('the node refused a chunk', reply);
    }
    return true;
  } finally {
    await source.close();
  }
}

/** The node's word on how much it holds, which must be a place in the file. */
function standing(value: unknown, sizeBytes: number): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= sizeBytes) return value;
  throw new UserError(`the node says the upload holds ${String(value)} bytes, of ${sizeBytes}`);
}

function refused(what: string, reply: { status: number; body: unknown }): UserError {
  const refusal = readApiError(reply.body);
  return new UserError(`${what}: ${refusal.detail ?? refusal.error ?? `status ${reply.status}`}`);
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

import { z } from 'zod';
import { decodeJson, type JsonDecodeError } from '../base/json-decode.js';
import { MAX_FRAME_BYTES, MAX_NESTING_DEPTH } from '../base/limits.js';
import type { Result } from '../base/result.js';

/**
 * The replica stream (node/replica-access.ts) carries one request frame, then a header
 * frame (`{}` or `{"error":...}`), then the answer: raw log chunks, or one exec result.
 * Every frame but the request (which is smaller) is at most MAX_FRAME_BYTES.
 */
export const MAX_REQUEST_BYTES = 64 * 1024;
const MAX_ERROR_CHARS = 4096;
// A workload's key is Workload/namespace/name: up to 349 characters (crdt's OBJECT_KEY).
const workload = z.string().max(512);
/** An exec's command and time-out, as a peer and the API take them. */
export const execCommand = z.array(z.string().max(4096)).min(1).max(256);
export const execTimeoutMs = z.number().int().min(1).max(3_600_000);

const request = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('logs'),
    workload,
    slot: z.number().int().min(0),
    follow: z.boolean(),
    tail: z.number().int().min(0).optional(),
    sinceMs: z.number().int().min(0).optional(),
  }),
  z.strictObject({
    op: z.literal('exec'),
    workload,
    slot: z.number().int().min(0),
    command: execCommand,
    timeoutMs: execTimeoutMs,
  }),
]);
const header = z.strictObject({ error: z.string().max(MAX_ERROR_CHARS).optional() });
const execResult = z.strictObject({ exitCode: z.number().int(), stdout: z.string(), stderr: z.string() });

export type ReplicaRequest = z.output<typeof request>;
export type ReplicaHeader = z.output<typeof header>;
export type ExecOutput = z.output<typeof execResult>;

const utf8 = new TextEncoder();
const json = (value: unknown): Uint8Array => utf8.encode(JSON.stringify(value));

export const encodeReplicaRequest = (r: ReplicaRequest): Uint8Array => json(r);

export const decodeReplicaRequest = (bytes: Uint8Array): Result<ReplicaRequest, JsonDecodeError> =>
  decodeJson(bytes, request, { maxBytes: MAX_REQUEST_BYTES, maxDepth: MAX_NESTING_DEPTH });

/** An error longer than an asker accepts is cut, not turned into a refused header. */
export const encodeReplicaHeader = (h: ReplicaHeader): Uint8Array => json(h.error === undefined ? {} : { error: h.error.slice(0, MAX_ERROR_CHARS) });

export const decodeReplicaHeader = (bytes: Uint8Array): Result<ReplicaHeader, JsonDecodeError> => decodeJson(bytes, header);

const tail = (text: string, chars: number): string => (text.length <= chars ? text : text.slice(text.length - chars));

/** An exec result in one frame: output that does not fit loses its beginning, the end being what a failed command says last. */
export function encodeExecOutput(result: ExecOutput): Uint8Array {
  let keep = Math.max(result.stdout.length, result.stderr.length);
  for (;;) {
    const bytes = json({ exitCode: result.exitCode, stdout: tail(result.stdout, keep), stderr: tail(result.stderr, keep) });
    if (bytes.length <= MAX_FRAME_BYTES) return bytes;
    keep = Math.min(keep - 1, Math.floor((keep * MAX_FRAME_BYTES) / bytes.length));
  }
}

export const decodeExecOutput = (bytes: Uint8Array): Result<ExecOutput, JsonDecodeError> => decodeJson(bytes, execResult);

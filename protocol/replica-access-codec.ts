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

/**
 * An operator's signed request as its signature covers it (node/request-signature.ts,
 * protocol/replica-requests.ts): the node it was sent to forwards it to the node that
 * runs the replica, which judges it itself.
 */
const signedMessage = z.strictObject({
  method: z.string().max(16),
  url: z.string().max(8192),
  headers: z.strictObject({ signature: z.string().max(4096), 'signature-input': z.string().max(4096), 'content-digest': z.string().max(256).optional() }),
  body: z.string().max(MAX_REQUEST_BYTES).optional(),
});

const request = z.discriminatedUnion('op', [z.strictObject({ op: z.literal('logs'), request: signedMessage }), z.strictObject({ op: z.literal('exec'), request: signedMessage })]);
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

import { z } from 'zod';
import { err, ok, type Result } from '../protocol/result.js';
import { DELTA_VERSION, type Delta } from './delta.js';
import type { Json } from './json.js';

/** Object keys are kind/namespace/name, shaped like Kubernetes names. */
export const OBJECT_KEY = /^[A-Z][A-Za-z]{0,30}\/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const FIELD = /^[A-Za-z0-9_.-]{1,128}$/;
const HEX = (bytes: number) => new RegExp(`^[0-9a-f]{${bytes * 2}}$`);

export const MAX_DELTA_BYTES = 256 * 1024;
export const MAX_OPS = 1000;

const json: z.ZodType<Json> = z.lazy(() => z.union([z.null(), z.boolean(), z.number().finite(), z.string(), z.array(json), z.record(z.string(), json)]));

const op = z.union([
  z.strictObject({ key: z.string().regex(OBJECT_KEY), set: z.record(z.string().regex(FIELD), json) }),
  z.strictObject({ key: z.string().regex(OBJECT_KEY), delete: z.literal(true) }),
]);

const delta = z.strictObject({
  id: z.string().regex(HEX(32)),
  sig: z.string().regex(HEX(64)),
  body: z.strictObject({
    v: z.literal(DELTA_VERSION),
    cluster: z.string().min(1).max(64),
    author: z.string().regex(HEX(32)),
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    hlc: z.strictObject({ wallMs: z.number().int().min(0), counter: z.number().int().min(0).max(0xffffffff) }),
    ops: z
      .array(op)
      .min(1)
      .max(MAX_OPS)
      .refine((ops) => new Set(ops.map((o) => o.key)).size === ops.length, 'an object appears twice in one delta'),
  }),
});

export interface DeltaDecodeError {
  code: 'oversized' | 'malformed' | 'invalid';
  detail: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes off the network into a delta whose every field is well formed; nothing else gets through. */
export function decodeDelta(bytes: Uint8Array): Result<Delta, DeltaDecodeError> {
  if (bytes.length > MAX_DELTA_BYTES) return err({ code: 'oversized', detail: `${bytes.length} bytes` });
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(bytes));
  } catch {
    return err({ code: 'malformed', detail: 'not UTF-8 JSON' });
  }
  return parseDelta(parsed);
}

export function parseDelta(value: unknown): Result<Delta, DeltaDecodeError> {
  const result = delta.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    return err({ code: 'invalid', detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` });
  }
  return ok(result.data as Delta);
}

export const encodeDelta = (d: Delta): Uint8Array => new TextEncoder().encode(JSON.stringify(d));

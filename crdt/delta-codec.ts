import { z } from 'zod';
import { parseJsonBytes } from '../base/json-bytes.js';
import { MAX_FRAME_BYTES, MAX_NESTING_DEPTH } from '../base/limits.js';
import { err, ok, type Result } from '../base/result.js';
import { DELTA_VERSION, type Delta } from './delta.js';
import type { Json } from './json.js';

/** Object keys are kind/namespace/name, shaped like Kubernetes names. */
export const OBJECT_KEY = /^[A-Z][A-Za-z]{0,30}\/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const FIELD = /^[A-Za-z0-9_.-]{1,128}$/;
const HEX = (bytes: number) => new RegExp(`^[0-9a-f]{${bytes * 2}}$`);

/** A delta fits in one frame with the envelope anti-entropy or an API reply puts around it. */
export const MAX_DELTA_BYTES = MAX_FRAME_BYTES - 8 * 1024;
export const MAX_OPS = 1000;
/** Heads a delta may name: more than this many concurrent writers of one key is not a real operator. */
export const MAX_PREV = 16;

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
    writer: z.string().regex(HEX(8)).optional(),
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    prev: z
      .array(z.string().regex(HEX(32)))
      .min(1)
      .max(MAX_PREV)
      .refine((ids) => new Set(ids).size === ids.length, 'a predecessor appears twice')
      .optional(),
    hlc: z.strictObject({ wallMs: z.number().int().min(0), counter: z.number().int().min(0).max(0xffffffff) }),
    ops: z
      .array(op)
      .min(1)
      .max(MAX_OPS)
      .refine((ops) => new Set(ops.map((o) => o.key)).size === ops.length, 'an object appears twice in one delta'),
  }),
});

export interface DeltaDecodeError {
  code: 'oversized' | 'malformed' | 'invalid' | 'too-deep';
  detail: string;
}

/** Bytes off the network into a delta whose every field is well formed; nothing else gets through. */
export function decodeDelta(bytes: Uint8Array): Result<Delta, DeltaDecodeError> {
  const parsed = parseJsonBytes(bytes, { maxBytes: MAX_DELTA_BYTES, maxDepth: MAX_NESTING_DEPTH });
  return parsed.ok ? parseDelta(parsed.value) : parsed;
}

/** A value already parsed (an API body): nesting is checked first, since the schema and canonical JSON recurse once per level. */
export function parseDelta(value: unknown): Result<Delta, DeltaDecodeError> {
  if (deeperThan(value, MAX_NESTING_DEPTH)) return err({ code: 'too-deep', detail: `nested deeper than ${MAX_NESTING_DEPTH} levels` });
  const result = delta.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    return err({ code: 'invalid', detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` });
  }
  return ok(result.data as Delta);
}

export const encodeDelta = (d: Delta): Uint8Array => new TextEncoder().encode(JSON.stringify(d));

/** Whether a parsed JSON value nests deeper than `max`, walked without recursion. */
function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

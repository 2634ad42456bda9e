import type { z } from 'zod';
import { parseJsonBytes, type JsonBytesErrorCode, type JsonBytesLimits } from './json-bytes.js';
import { err, ok, type Result } from './result.js';

export interface JsonDecodeError {
  code: JsonBytesErrorCode | 'invalid';
  detail: string;
}

/** Bytes off the network through parseJsonBytes, then a schema; the first issue names the field refused. */
export function decodeJson<S extends z.ZodType>(bytes: Uint8Array, schema: S, limits?: JsonBytesLimits): Result<z.output<S>, JsonDecodeError> {
  const parsed = parseJsonBytes(bytes, limits);
  if (!parsed.ok) return parsed;
  const result = schema.safeParse(parsed.value);
  if (!result.success) {
    const issue = result.error.issues[0];
    return err({ code: 'invalid', detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` });
  }
  return ok(result.data);
}

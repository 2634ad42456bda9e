import { z } from 'zod';
import { err, ok, type Result } from '../result.js';
import type { Answer } from './scheduler.js';

/** Answers travel in batches: one message per collector per tick, however many auctions are open. */
export const ANSWERS_VERSION = 1;
export const MAX_ANSWERS_BYTES = 512 * 1024;
export const MAX_ANSWERS = 5_000;

const HEX32 = /^[0-9a-f]{32}$/;
const NODE = z.string().min(1).max(128);

const bid = z.strictObject({ auction: z.string().regex(HEX32), node: NODE, score: z.number().min(0).max(1), tiebreak: z.string().regex(HEX32) });
const decline = z.strictObject({
  auction: z.string().regex(HEX32),
  node: NODE,
  reason: z.enum(['not-schedulable', 'insufficient-cpu', 'insufficient-memory', 'constraint', 'host-port-in-use', 'max-per-node', 'failed-here', 'deferred']),
  detail: z.string().max(256),
});
const batch = z.strictObject({ v: z.literal(ANSWERS_VERSION), answers: z.array(z.union([bid, decline])).max(MAX_ANSWERS) });

export interface AnswersDecodeError {
  code: 'oversized' | 'malformed' | 'invalid';
  detail: string;
}

export const encodeAnswers = (answers: readonly Answer[]): Uint8Array => new TextEncoder().encode(JSON.stringify({ v: ANSWERS_VERSION, answers }));

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeAnswers(bytes: Uint8Array): Result<Answer[], AnswersDecodeError> {
  if (bytes.length > MAX_ANSWERS_BYTES) return err({ code: 'oversized', detail: `${bytes.length} bytes` });
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(bytes));
  } catch {
    return err({ code: 'malformed', detail: 'not UTF-8 JSON' });
  }
  const result = batch.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    return err({ code: 'invalid', detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` });
  }
  return ok(result.data.answers);
}

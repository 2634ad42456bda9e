import { z } from 'zod';
import { decodeJson, type JsonDecodeError } from '../../base/json-decode.js';
import { MAX_FRAME_BYTES } from '../../base/limits.js';
import { ok, type Result } from '../../base/result.js';
import type { Answer } from './scheduler.js';

/** Answers travel in batches: one per collector per tick, however many auctions are open, in as many frames as it needs. */
export const ANSWERS_VERSION = 1;
export const MAX_ANSWERS_BYTES = MAX_FRAME_BYTES;
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

const utf8 = new TextEncoder();

export const encodeAnswers = (answers: readonly Answer[]): Uint8Array => utf8.encode(JSON.stringify({ v: ANSWERS_VERSION, answers }));

/** What a frame adds around its answers, `{"v":1,"answers":[]}`; each answer is counted with a comma after it. */
const ENVELOPE_BYTES = 20;

/** A batch in frames of at most MAX_ANSWERS_BYTES and MAX_ANSWERS answers each. */
export function answerFrames(answers: readonly Answer[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let current: Answer[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const answer of answers) {
    const size = utf8.encode(JSON.stringify(answer)).length + 1;
    if (current.length > 0 && (current.length >= MAX_ANSWERS || bytes + size > MAX_ANSWERS_BYTES)) {
      frames.push(encodeAnswers(current));
      current = [];
      bytes = ENVELOPE_BYTES;
    }
    current.push(answer);
    bytes += size;
  }
  frames.push(encodeAnswers(current));
  return frames;
}

export function decodeAnswers(bytes: Uint8Array): Result<Answer[], JsonDecodeError> {
  const decoded = decodeJson(bytes, batch);
  return decoded.ok ? ok(decoded.value.answers) : decoded;
}

import { z } from 'zod';
import { nestingDepth } from '../base/json-bytes.js';
import { decodeJson, type JsonDecodeError } from '../base/json-decode.js';
import { MAX_FRAME_BYTES, MAX_NESTING_DEPTH } from '../base/limits.js';
import type { Result } from '../base/result.js';
import { MAX_QUERY_PREFIXES, type DigestAnswer, type DigestEntry, type DigestQuery } from './anti-entropy.js';
import { encodeDelta } from './delta-codec.js';
import type { Delta } from './delta.js';

/**
 * The frames of one anti-entropy exchange (node/anti-entropy.ts), as JSON:
 *
 *   {"t":"query","query":{"prefixes":["", "3f", ...]}}
 *   {"t":"answer","answer":{"entries":[{"prefix","summary",("ids"|"children")}...]}}
 *   {"t":"want","ids":[id...]}
 *   {"t":"deltas","deltas":[delta...],"last":bool}
 *   {"t":"done"}
 *
 * Unknown fields are dropped rather than refused, so a later version may add some.
 * The deltas themselves are left as values here: each is parsed and checked on its own,
 * so one bad delta costs that delta, not its frame.
 */
export type SyncMessage =
  | { t: 'query'; query: DigestQuery }
  | { t: 'answer'; answer: DigestAnswer }
  | { t: 'want'; ids: string[] }
  | { t: 'deltas'; deltas: unknown[]; last: boolean }
  | { t: 'done' };

/** Ids in a `want`, and deltas in a `deltas` frame. */
export const SYNC_CHUNK = 256;

/** A `deltas` frame wraps each delta in two levels (the frame, its array): a delta may nest as deep as any message. */
const MAX_FRAME_DEPTH = MAX_NESTING_DEPTH + 2;

const HEX_DIGITS = '0123456789abcdef';
const prefix = z.string().regex(/^[0-9a-f]{0,8}$/);
const id = z.string().regex(/^[0-9a-f]{64}$/);
// A child's prefix is one digit longer than the deepest prefix asked about.
const summary = z.object({ prefix: z.string().regex(/^[0-9a-f]{0,9}$/), count: z.number().int().min(0), xor: z.string().regex(/^[0-9a-f]{1,16}$/) });

// Ids in one entry are bounded by the frame: a prefix holds however many ids share it.
const entry = z
  .union([z.object({ prefix, summary, ids: z.array(id) }), z.object({ prefix, summary, children: z.array(summary).length(HEX_DIGITS.length) })])
  .refine(
    (e) => e.summary.prefix === e.prefix && (!('children' in e) || e.children.every((child, i) => child.prefix === e.prefix + HEX_DIGITS[i])),
    'a summary names another prefix than its entry',
  );

const message = z.discriminatedUnion('t', [
  z.object({ t: z.literal('query'), query: z.object({ prefixes: z.array(prefix).max(MAX_QUERY_PREFIXES) }) }),
  z.object({ t: z.literal('answer'), answer: z.object({ entries: z.array(entry).max(MAX_QUERY_PREFIXES) }) }),
  z.object({ t: z.literal('want'), ids: z.array(id).max(SYNC_CHUNK) }),
  z.object({ t: z.literal('deltas'), deltas: z.array(z.unknown()).max(SYNC_CHUNK), last: z.boolean() }),
  z.object({ t: z.literal('done') }),
]);

const utf8 = new TextEncoder();

export const encodeSyncMessage = (m: SyncMessage): Uint8Array => utf8.encode(JSON.stringify(m));

/** A frame off the stream into a message whose every field is well formed, or the code it is refused with. */
export function decodeSyncMessage(bytes: Uint8Array): Result<SyncMessage, JsonDecodeError> {
  return decodeJson(bytes, message, { maxBytes: MAX_FRAME_BYTES, maxDepth: MAX_FRAME_DEPTH });
}

/**
 * The leading entries of an answer that fit in one frame. A query's answer can run to
 * megabytes (thousands of prefixes, each with up to 16 ids or children); the initiator
 * asks again about the prefixes left out.
 */
export function fitAnswer(answer: DigestAnswer): DigestAnswer {
  let bytes = encodeSyncMessage({ t: 'answer', answer: { entries: [] } }).length;
  const entries: DigestEntry[] = [];
  for (const e of answer.entries) {
    bytes += utf8.encode(JSON.stringify(e)).length + (entries.length > 0 ? 1 : 0);
    if (bytes > MAX_FRAME_BYTES) break;
    entries.push(e);
  }
  return { entries };
}

/** What a `deltas` frame adds around its deltas, `{"t":"deltas","deltas":[` and `],"last":false}`, rounded up. */
const DELTAS_ENVELOPE_BYTES = 40;

export interface DeltaFrames {
  /** At least one; only the last is marked last. */
  frames: SyncMessage[];
  /**
   * Deltas that cannot travel even alone in a frame, stored before these limits: left
   * out, since a frame holding one would be refused and end every exchange that tried.
   */
  unsendable: Delta[];
}

/** Deltas, in the order given, in frames of at most SYNC_CHUNK deltas and MAX_FRAME_BYTES. */
export function deltaFrames(deltas: readonly Delta[]): DeltaFrames {
  const frames: SyncMessage[] = [];
  const unsendable: Delta[] = [];
  let current: Delta[] = [];
  let bytes = DELTAS_ENVELOPE_BYTES;
  for (const delta of deltas) {
    const encoded = encodeDelta(delta);
    // Each delta is counted with a comma after it, one more than the frame has.
    const size = encoded.length + 1;
    if (DELTAS_ENVELOPE_BYTES + size > MAX_FRAME_BYTES || nestingDepth(encoded) > MAX_NESTING_DEPTH) {
      unsendable.push(delta);
      continue;
    }
    if (current.length >= SYNC_CHUNK || bytes + size > MAX_FRAME_BYTES) {
      frames.push({ t: 'deltas', deltas: current, last: false });
      current = [];
      bytes = DELTAS_ENVELOPE_BYTES;
    }
    current.push(delta);
    bytes += size;
  }
  frames.push({ t: 'deltas', deltas: current, last: true });
  return { frames, unsendable };
}

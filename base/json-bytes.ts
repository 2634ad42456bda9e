import { MAX_FRAME_BYTES, MAX_NESTING_DEPTH } from './limits.js';
import { err, ok, type Result } from './result.js';

export type JsonBytesErrorCode = 'oversized' | 'malformed' | 'too-deep';

export interface JsonBytesError {
  code: JsonBytesErrorCode;
  detail: string;
}

export interface JsonBytesLimits {
  maxBytes: number;
  maxDepth: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * How deeply arrays and objects nest in JSON text, read off the bytes in one pass with
 * no recursion and no parse: exact for valid JSON, and an invalid text is refused by
 * the parse anyway. Brackets and quotes are ASCII, and no byte of a multi-byte UTF-8
 * sequence is ASCII, so the bytes need no decoding first.
 */
export function nestingDepth(bytes: Uint8Array): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) deepest = Math.max(deepest, ++depth);
    else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth--;
  }
  return deepest;
}

/**
 * JSON.parse reads a number too large for a double (1e999) as Infinity, which no JSON
 * text can say back. Iterative, so it holds for any maxDepth.
 */
function allFinite(value: unknown): boolean {
  const pending = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'number' && !Number.isFinite(v)) return false;
    if (typeof v === 'object' && v !== null) for (const item of Object.values(v)) pending.push(item);
  }
  return true;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes off the network into a JSON value, or the reason not, cheapest check first: the
 * size before anything is read, the depth before the parse (the parse itself copes with
 * deep input, but whatever walks the value afterwards recurses), then UTF-8 and JSON,
 * and last the numbers.
 */
export function parseJsonBytes(bytes: Uint8Array, limits: JsonBytesLimits = { maxBytes: MAX_FRAME_BYTES, maxDepth: MAX_NESTING_DEPTH }): Result<unknown, JsonBytesError> {
  if (bytes.length > limits.maxBytes) return err({ code: 'oversized', detail: `${bytes.length} bytes` });
  const depth = nestingDepth(bytes);
  if (depth > limits.maxDepth) return err({ code: 'too-deep', detail: `nested ${depth} deep` });
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return err({ code: 'malformed', detail: 'not UTF-8 JSON' });
  }
  return allFinite(value) ? ok(value) : err({ code: 'malformed', detail: 'a number too large for a double' });
}

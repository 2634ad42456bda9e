import fc from 'fast-check';
import * as assert from 'uvu/assert';
import { nestingDepth } from '../../../base/json-bytes.js';
import type { Result } from '../../../base/result.js';
import { replacedAt, valuePaths } from './value-paths.js';

/**
 * Runs per property. Every run of the suite draws a fresh seed, so its 2,000 add up to
 * the odd corner across runs while the unit tier stays short (10,000 took it 42 s of
 * fuzzing); `npm run fuzz` goes deep in one run (SHOAL_FUZZ_RUNS, default there 50,000).
 */
export const RUNS = fuzzRuns(process.env.SHOAL_FUZZ_RUNS);

function fuzzRuns(text: string | undefined): number {
  if (text === undefined) return 2_000;
  const runs = Number(text);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`SHOAL_FUZZ_RUNS='${text}': expected a whole number of runs, 1 or more`);
  return runs;
}

export interface Codec<T> {
  decode: (bytes: Uint8Array) => Result<T, { code: string }>;
  encode: (value: T) => Uint8Array;
  /** Every code the decoder may refuse with. */
  codes: readonly string[];
}

/** A decoder's whole contract on one input: no throw, a known code when refused, and what it accepts survives its own encoder. */
export function checkDecode<T>(codec: Codec<T>, bytes: Uint8Array): void {
  const decoded = codec.decode(bytes);
  if (!decoded.ok) {
    assert.ok(codec.codes.includes(decoded.error.code), `unknown code ${decoded.error.code}`);
    return;
  }
  const again = codec.decode(codec.encode(decoded.value));
  assert.ok(again.ok, `what was accepted is refused once re-encoded: ${JSON.stringify(again)}`);
  if (again.ok) assert.equal(again.value, decoded.value);
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

type Edit = { kind: 'flip'; at: number; mask: number } | { kind: 'insert'; at: number; bytes: Uint8Array } | { kind: 'delete'; at: number; length: number };

// Inserted bytes are as often JSON's own tokens as noise: those reach the validators.
const token = fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', '0', '-1e999', 'null', 'true', '"x"', '\\u0000', '\\ud800').map((t) => utf8.encode(t));
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 8 }), token) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
);

function applyEdit(bytes: Uint8Array, e: Edit): Uint8Array {
  const at = e.at % (bytes.length + 1);
  if (e.kind === 'insert') return Uint8Array.from([...bytes.subarray(0, at), ...e.bytes, ...bytes.subarray(at)]);
  if (at === bytes.length) return bytes;
  if (e.kind === 'delete') return Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + e.length)]);
  const out = Uint8Array.from(bytes);
  out[at] = (out[at] as number) ^ e.mask;
  return out;
}

/** Stands in a value for raw text no value can be built for: nesting deep enough to overflow JSON.stringify. */
const RAW = '\u0000raw\u0000';

/** Nesting mostly around the limits, sometimes far past them; as arrays or as objects. */
const deep = fc
  .record({
    depth: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 64 }), weight: 4 }, { arbitrary: fc.integer({ min: 65, max: 100_000 }), weight: 1 }),
    object: fc.boolean(),
  })
  .map(({ depth, object }) => (object ? `${'{"k":'.repeat(depth)}0${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`));

const huge = fc.integer({ min: 1_000, max: 300_000 }).map((n) => 'x'.repeat(n));

const replacement: fc.Arbitrary<{ value: unknown } | { raw: string }> = fc.oneof(
  { arbitrary: fc.jsonValue().map((value) => ({ value })), weight: 6 },
  { arbitrary: deep.map((raw) => ({ raw })), weight: 2 },
  { arbitrary: huge.map((value) => ({ value })), weight: 1 },
);

/**
 * Valid messages, encoded, then broken: bytes flipped, inserted or deleted, or one
 * field (or the whole message) replaced with random JSON, deep nesting or a huge
 * string. Some go through unbroken, so the round trip of valid ones is checked too.
 */
export function mutated<T>(valid: fc.Arbitrary<T>, encode: (value: T) => Uint8Array): fc.Arbitrary<Uint8Array> {
  return valid.chain((value) => {
    const bytes = encode(value);
    const json = JSON.parse(fromUtf8.decode(bytes)) as unknown;
    return fc.oneof(
      { arbitrary: fc.constant(bytes), weight: 1 },
      { arbitrary: fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => edits.reduce(applyEdit, bytes)), weight: 4 },
      {
        arbitrary: fc.record({ path: fc.constantFrom(...valuePaths(json)), by: replacement }).map(({ path, by }) => {
          const text = JSON.stringify(replacedAt(json, path, 'raw' in by ? RAW : by.value));
          return utf8.encode('raw' in by ? text.replace(JSON.stringify(RAW), by.raw) : text);
        }),
        weight: 4,
      },
    );
  });
}

/** Counterexamples run to hundreds of kilobytes: fast-check shows this instead (the seed it prints replays the whole). */
function described(bytes: Uint8Array): Uint8Array {
  const text = (): string => {
    const head = JSON.stringify(fromUtf8.decode(bytes.subarray(0, 300)));
    return `${bytes.length} bytes nested ${nestingDepth(bytes)} deep: ${head}${bytes.length > 300 ? '...' : ''}`;
  };
  return Object.defineProperty(bytes, fc.toStringMethod, { value: text, configurable: true });
}

/** The two properties every decoder is held to. */
export function fuzz<T>(test: (name: string, fn: () => void) => void, name: string, codec: Codec<T>, valid: fc.Arbitrary<T>, maxRandomBytes = 2048): void {
  test(`${name}: random bytes never throw, and are refused with a known code or survive re-encoding`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: maxRandomBytes }).map(described), (bytes) => checkDecode(codec, bytes)),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  });
  test(`${name}: broken valid messages never throw, and are refused with a known code or survive re-encoding`, () => {
    fc.assert(
      fc.property(mutated(valid, codec.encode).map(described), (bytes) => checkDecode(codec, bytes)),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  });
}

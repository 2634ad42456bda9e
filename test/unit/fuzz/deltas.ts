import fc from 'fast-check';
import type { Delta, Json, Op } from '../../../crdt/index.js';

/**
 * Lowercase hex, `min` to `max` digits (exactly `min` when no `max`). Unbiased: a biased
 * bigint or byte array costs ten times as much to draw, and what is fuzzed here is the
 * shape around the digits, not the digits.
 */
export const hex = (min: number, max = min): fc.Arbitrary<string> =>
  fc.tuple(fc.integer({ min, max }), fc.noBias(fc.bigInt({ min: 0n, max: 16n ** BigInt(max) - 1n }))).map(([length, n]) => n.toString(16).padStart(max, '0').slice(0, length));

const key = fc
  .tuple(fc.constantFrom('Workload', 'Secret', 'Node'), fc.constantFrom('default', 'prod'), fc.constantFrom('web', 'db-1', 'a.b', 'x'), fc.nat({ max: 99 }))
  .map(([kind, namespace, name, n]) => `${kind}/${namespace}/${name}${n}`);

// Through JSON and back, as a value off the wire is: no -0, no prototype-less objects.
const field: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as Json);

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    key,
    set: fc.dictionary(fc.constantFrom('spec.image', 'spec.replicas', 'spec.env', 'metadata.labels', 'x_1', 'a-b.c'), field, { minKeys: 1, maxKeys: 3 }).map((set) => ({ ...set })),
  }),
  fc.record({ key, delete: fc.constant(true as const) }),
);

/** Deltas well formed to the parser (not signed: the codec does not check signatures). */
export const anyDelta: fc.Arbitrary<Delta> = fc.record({
  id: hex(64),
  sig: hex(128),
  body: fc.record({
    v: fc.constant(1 as const),
    cluster: fc.string({ minLength: 1, maxLength: 64 }),
    author: hex(64),
    seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    hlc: fc.record({ wallMs: fc.integer({ min: 0, max: 2 ** 48 }), counter: fc.nat({ max: 0xffffffff }) }),
    ops: fc.uniqueArray(op, { selector: (o) => o.key, minLength: 1, maxLength: 3 }),
  }),
});

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeSyncMessage, deltaFrames, encodeSyncMessage, fitAnswer, SYNC_CHUNK, type SyncMessage } from '../../../crdt/anti-entropy-codec.js';
import type { Delta, DigestAnswer, DigestEntry, PrefixSummary } from '../../../crdt/index.js';
import { MAX_FRAME_BYTES } from '../../../base/limits.js';
import { anyDelta, hex } from './deltas.js';
import { fuzz } from './mutate.js';

const HEX = '0123456789abcdef';
const prefix = hex(0, 3);
const entry: fc.Arbitrary<DigestEntry> = fc
  .tuple(prefix, fc.nat(), hex(1, 16), fc.option(fc.array(hex(64), { maxLength: 5 })), fc.array(fc.tuple(fc.nat(), hex(1, 16)), { minLength: 16, maxLength: 16 }))
  .map(([p, count, xor, ids, children]) => {
    const summary: PrefixSummary = { prefix: p, count, xor };
    return ids === null ? { prefix: p, summary, children: children.map(([n, x], i) => ({ prefix: p + (HEX[i] as string), count: n, xor: x })) } : { prefix: p, summary, ids };
  });

const message: fc.Arbitrary<SyncMessage> = fc.oneof(
  fc.record({ t: fc.constant('query' as const), query: fc.record({ prefixes: fc.array(hex(0, 8), { maxLength: 20 }) }) }),
  fc.record({ t: fc.constant('answer' as const), answer: fc.record({ entries: fc.array(entry, { maxLength: 4 }) }) }),
  fc.record({ t: fc.constant('want' as const), ids: fc.array(hex(64), { maxLength: 10 }) }),
  fc.record({ t: fc.constant('deltas' as const), deltas: fc.array(fc.oneof(anyDelta, fc.jsonValue()), { maxLength: 3 }), last: fc.boolean() }),
  fc.record({ t: fc.constant('done' as const) }),
);

fuzz(test, 'decodeSyncMessage', { decode: decodeSyncMessage, encode: encodeSyncMessage, codes: ['oversized', 'malformed', 'too-deep', 'invalid'] }, message);

const padded = (delta: Delta, bytes: number): Delta => {
  const [first, ...rest] = delta.body.ops;
  return { ...delta, body: { ...delta.body, ops: [{ key: first?.key ?? 'Workload/default/x', set: { pad: 'x'.repeat(bytes) } }, ...rest] } };
};
// A few deltas near the frame in size, or more small ones than a frame takes.
const deltas = fc.oneof(
  fc.array(
    fc.tuple(anyDelta, fc.integer({ min: 0, max: MAX_FRAME_BYTES })).map(([d, n]) => padded(d, n)),
    { maxLength: 6 },
  ),
  fc
    .tuple(anyDelta, fc.integer({ min: SYNC_CHUNK - 5, max: 2 * SYNC_CHUNK + 5 }))
    .map(([d, n]) => Array.from({ length: n }, (_, seq) => ({ ...d, body: { ...d.body, seq: seq + 1 } }))),
);

test('deltas go in frames that each fit and decode, in order, the last marked; none is lost but what cannot fit alone', () => {
  fc.assert(
    fc.property(deltas, (input) => {
      const { frames, unsendable } = deltaFrames(input);
      const carried: unknown[] = [];
      frames.forEach((frame, i) => {
        const bytes = encodeSyncMessage(frame);
        assert.ok(bytes.length <= MAX_FRAME_BYTES, `frame ${i} is ${bytes.length} bytes`);
        const decoded = decodeSyncMessage(bytes);
        assert.ok(decoded.ok && decoded.value.t === 'deltas');
        if (decoded.ok && decoded.value.t === 'deltas') {
          assert.is(decoded.value.last, i === frames.length - 1);
          assert.ok(decoded.value.deltas.length <= SYNC_CHUNK);
          carried.push(...decoded.value.deltas);
        }
      });
      for (const d of unsendable) assert.ok(encodeSyncMessage({ t: 'deltas', deltas: [d], last: false }).length > MAX_FRAME_BYTES);
      assert.equal(carried, JSON.parse(JSON.stringify(input.filter((d) => !unsendable.includes(d)))));
    }),
    { numRuns: 50 },
  );
});

test('a delta nested deeper than a frame allows is left out, not sent to be refused', () => {
  const deep = padded(fc.sample(anyDelta, { numRuns: 1, seed: 1 })[0] as Delta, 0);
  const nested = { ...deep, body: { ...deep.body, ops: [{ key: 'Workload/default/deep', set: { x: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`) as [] } }] } };
  assert.equal(deltaFrames([nested]).unsendable, [nested]);
});

test('an answer is cut to the entries that fit in a frame, in order', () => {
  fc.assert(
    fc.property(fc.array(entry, { minLength: 100, maxLength: 400 }), (entries) => {
      const many: DigestAnswer = { entries: entries.flatMap((e) => [e, e, e]) };
      const fitted = fitAnswer(many);
      assert.ok(encodeSyncMessage({ t: 'answer', answer: fitted }).length <= MAX_FRAME_BYTES);
      assert.equal(fitted.entries, many.entries.slice(0, fitted.entries.length));
      if (fitted.entries.length < many.entries.length) {
        const oneMore = { entries: many.entries.slice(0, fitted.entries.length + 1) };
        assert.ok(encodeSyncMessage({ t: 'answer', answer: oneMore }).length > MAX_FRAME_BYTES);
      }
    }),
    { numRuns: 50 },
  );
});

test.run();

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { answerFrames, decodeAnswers, encodeAnswers, MAX_ANSWERS, MAX_ANSWERS_BYTES } from '../../../protocol/scheduler/codec.js';
import type { Answer } from '../../../protocol/scheduler/scheduler.js';
import { hex } from './deltas.js';
import { fuzz } from './mutate.js';

const node = fc.string({ minLength: 1, maxLength: 128 });
const REASONS = ['not-schedulable', 'insufficient-cpu', 'insufficient-memory', 'constraint', 'host-port-in-use', 'max-per-node', 'failed-here', 'deferred'] as const;
const answer: fc.Arbitrary<Answer> = fc.oneof(
  fc.record({ auction: hex(32), node, score: fc.double({ min: 0, max: 1, noNaN: true }).map((s) => (Object.is(s, -0) ? 0 : s)), tiebreak: hex(32) }),
  fc.record({ auction: hex(32), node, reason: fc.constantFrom(...REASONS), detail: fc.string({ maxLength: 256 }) }),
);

fuzz(test, 'decodeAnswers', { decode: decodeAnswers, encode: encodeAnswers, codes: ['oversized', 'malformed', 'too-deep', 'invalid'] }, fc.array(answer, { maxLength: 6 }));

test('a batch larger than a frame goes in several, each of which decodes, in order', () => {
  fc.assert(
    fc.property(answer, fc.integer({ min: 0, max: MAX_ANSWERS + 1_000 }), (one, n) => {
      const batch = Array.from({ length: n }, () => one);
      const frames = answerFrames(batch);
      const carried = frames.flatMap((frame) => {
        assert.ok(frame.length <= MAX_ANSWERS_BYTES, `${frame.length} bytes`);
        const decoded = decodeAnswers(frame);
        assert.ok(decoded.ok, JSON.stringify(decoded));
        return decoded.ok ? decoded.value : [];
      });
      assert.is(carried.length, n);
      assert.equal(carried[0], n > 0 ? JSON.parse(JSON.stringify(one)) : undefined);
    }),
    { numRuns: 20 },
  );
});

test.run();

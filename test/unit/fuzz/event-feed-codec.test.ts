import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeEventsAnswer, decodeEventsQuery, encodeEventsAnswer, encodeEventsQuery, type FeedEvent } from '../../../protocol/event-feed-codec.js';
import { MAX_FRAME_BYTES } from '../../../base/limits.js';
import { fuzz } from './mutate.js';

const CODES = ['oversized', 'malformed', 'too-deep', 'invalid'];

const event: fc.Arbitrary<FeedEvent> = fc.record({
  atMs: fc.nat(),
  node: fc.string({ maxLength: 128 }),
  kind: fc.constantFrom('placed', 'unschedulable', 'started'),
  object: fc.string({ maxLength: 512 }),
  message: fc.string({ maxLength: 200 }),
});

fuzz(test, 'decodeEventsQuery', { decode: decodeEventsQuery, encode: encodeEventsQuery, codes: CODES }, fc.record({ sinceMs: fc.nat() }), 256);
fuzz(test, 'decodeEventsAnswer', { decode: decodeEventsAnswer, encode: encodeEventsAnswer, codes: CODES }, fc.array(event, { maxLength: 5 }));

test('an answer keeps the newest events that fit in a frame, and cuts messages an asker would refuse', () => {
  fc.assert(
    fc.property(event, fc.integer({ min: 1, max: 3_000 }), fc.integer({ min: 0, max: 10_000 }), (one, n, messageChars) => {
      const events = Array.from({ length: n }, (_, i) => ({ ...one, atMs: i, message: 'm'.repeat(messageChars) }));
      const bytes = encodeEventsAnswer(events);
      assert.ok(bytes.length <= MAX_FRAME_BYTES);
      const decoded = decodeEventsAnswer(bytes);
      assert.ok(decoded.ok, JSON.stringify(decoded).slice(0, 300));
      if (decoded.ok)
        assert.equal(
          decoded.value.map((e) => e.atMs),
          events.slice(n - decoded.value.length).map((e) => e.atMs),
        );
    }),
    { numRuns: 30 },
  );
});

test.run();

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode, encode, swimConfig } from '../../protocol/swim/index.js';
import { swimMessage as message } from './swim-messages.js';

const limits = swimConfig.lan();

test('any message decodes to exactly what was encoded', () => {
  fc.assert(
    fc.property(message, (m) => {
      const decoded = decode(encode(m), limits);
      assert.ok(decoded.ok);
      // fast-check builds some objects without a prototype; compare plain copies.
      if (decoded.ok) assert.equal(decoded.value, JSON.parse(JSON.stringify(m)));
    }),
    { numRuns: 500 },
  );
});

test('arbitrary bytes never throw: they decode or are refused with a code', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      const decoded = decode(bytes, limits);
      if (!decoded.ok) assert.ok(['oversized', 'malformed', 'version', 'invalid'].includes(decoded.error.code));
    }),
    { numRuns: 2000 },
  );
});

test('mutated valid messages never throw', () => {
  fc.assert(
    fc.property(message, fc.nat(), fc.integer({ min: 0, max: 255 }), (m, at, byte) => {
      const bytes = encode(m);
      bytes[at % bytes.length] = byte;
      decode(bytes, limits);
    }),
    { numRuns: 2000 },
  );
});

test.run();

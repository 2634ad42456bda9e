import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LABEL_KEY } from '../../protocol/swim/codec.js';
import { decode, encode, swimConfig, type MemberRecord, type SwimMessage, type Update } from '../../protocol/swim/index.js';

const limits = swimConfig.lan();
const id = fc.string({ minLength: 1, maxLength: 64 });
const uint = fc.nat();
const incarnation = fc.nat({ max: 0xffffffff });

const record: fc.Arbitrary<MemberRecord> = fc.record({
  id,
  addrs: fc.array(fc.string({ minLength: 1, maxLength: 80 }), { maxLength: 4 }),
  labels: fc.dictionary(fc.stringMatching(LABEL_KEY), fc.string({ maxLength: 40 }), { maxKeys: 5 }),
  capacity: fc.record({ cpuMillis: uint, memoryBytes: uint }),
  version: fc.string({ minLength: 1, maxLength: 16 }),
});

const update: fc.Arbitrary<Update> = fc.oneof(
  fc.record({ kind: fc.constant('alive' as const), incarnation, member: record }),
  fc.record({ kind: fc.constant('suspect' as const), incarnation, id, from: id }),
  fc.record({ kind: fc.constant('dead' as const), incarnation, id, from: id }),
  fc.record({ kind: fc.constant('left' as const), incarnation, id }),
);
const updates = fc.array(update, { maxLength: 8 });

const message: fc.Arbitrary<SwimMessage> = fc.oneof(
  fc.record({ type: fc.constantFrom('ping' as const, 'ping-req' as const), seq: uint, target: id, updates }),
  fc.record({ type: fc.constantFrom('ack' as const, 'nack' as const), seq: uint, updates }),
  fc.record({ type: fc.constant('gossip' as const), updates }),
  fc.record({
    type: fc.constant('sync' as const),
    reply: fc.boolean(),
    members: fc.array(fc.record({ member: record, incarnation, state: fc.constantFrom('alive' as const, 'suspect' as const, 'dead' as const, 'left' as const) }), { maxLength: 6 }),
  }),
);

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

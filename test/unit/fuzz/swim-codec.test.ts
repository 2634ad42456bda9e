import fc from 'fast-check';
import { test } from 'uvu';
import { LABEL_KEY } from '../../../protocol/swim/codec.js';
import { decode, encode, swimConfig, type MemberRecord, type SwimMessage, type Update } from '../../../protocol/swim/index.js';
import { fuzz } from './mutate.js';

const limits = swimConfig.lan();
const id = fc.string({ minLength: 1, maxLength: 64 });
const incarnation = fc.nat({ max: 0xffffffff });

const record: fc.Arbitrary<MemberRecord> = fc.record({
  id,
  addrs: fc.array(fc.string({ minLength: 1, maxLength: 80 }), { maxLength: 3 }),
  labels: fc.dictionary(fc.stringMatching(LABEL_KEY), fc.string({ maxLength: 40 }), { maxKeys: 3 }).map((labels) => ({ ...labels })),
  capacity: fc.record({ cpuMillis: fc.nat(), memoryBytes: fc.nat() }),
  version: fc.string({ minLength: 1, maxLength: 16 }),
});

const update: fc.Arbitrary<Update> = fc.oneof(
  fc.record({ kind: fc.constant('alive' as const), incarnation, member: record }),
  fc.record({ kind: fc.constant('suspect' as const), incarnation, id, from: id }),
  fc.record({ kind: fc.constant('dead' as const), incarnation, id, from: id }),
  fc.record({ kind: fc.constant('left' as const), incarnation, id }),
);
const updates = fc.array(update, { maxLength: 4 });

const message: fc.Arbitrary<SwimMessage> = fc.oneof(
  fc.record({ type: fc.constantFrom('ping' as const, 'ping-req' as const), seq: fc.nat(), target: id, updates }),
  fc.record({ type: fc.constantFrom('ack' as const, 'nack' as const), seq: fc.nat(), updates }),
  fc.record({ type: fc.constant('gossip' as const), updates }),
  fc.record({
    type: fc.constant('sync' as const),
    reply: fc.boolean(),
    members: fc.array(fc.record({ member: record, incarnation, state: fc.constantFrom('alive' as const, 'suspect' as const, 'dead' as const, 'left' as const) }), { maxLength: 4 }),
  }),
);

fuzz(test, 'SWIM decode', { decode: (bytes) => decode(bytes, limits), encode, codes: ['oversized', 'malformed', 'too-deep', 'version', 'invalid'] }, message);

test.run();

import fc from 'fast-check';
import { LABEL_KEY } from '../../protocol/swim/codec.js';
import type { MemberRecord, SwimMessage, Update } from '../../protocol/swim/index.js';

/** Well-formed SWIM messages of every type, for the codec's round-trip property and its fuzz. */
const id = fc.string({ minLength: 1, maxLength: 64 });
const uint = fc.nat();
const incarnation = fc.nat({ max: 0xffffffff });

const record: fc.Arbitrary<MemberRecord> = fc.record({
  id,
  addrs: fc.array(fc.string({ minLength: 1, maxLength: 80 }), { maxLength: 4 }),
  // A plain copy: fast-check builds dictionaries without a prototype, which the encoder's output never has.
  labels: fc.dictionary(fc.stringMatching(LABEL_KEY), fc.string({ maxLength: 40 }), { maxKeys: 5 }).map((labels) => ({ ...labels })),
  capacity: fc.record({ cpuMillis: uint, memoryBytes: uint }),
  version: fc.string({ minLength: 1, maxLength: 16 }),
});

/** A signature's shape only: the codec carries it, the machine checks it. */
const signature = fc.stringMatching(/^[0-9a-f]{1,128}$/);

const update: fc.Arbitrary<Update> = fc.oneof(
  fc.record({ kind: fc.constant('alive' as const), incarnation, member: record, signature }),
  fc.record({ kind: fc.constant('suspect' as const), incarnation, id, from: id }),
  fc.record({ kind: fc.constant('dead' as const), incarnation, id, from: id }),
  fc.record({ kind: fc.constant('left' as const), incarnation, id, signature }),
);
const updates = fc.array(update, { maxLength: 8 });

export const swimMessage: fc.Arbitrary<SwimMessage> = fc.oneof(
  fc.record({ type: fc.constantFrom('ping' as const, 'ping-req' as const), seq: uint, target: id, updates }),
  fc.record({ type: fc.constantFrom('ack' as const, 'nack' as const), seq: uint, updates }),
  fc.record({ type: fc.constant('gossip' as const), updates }),
  fc.record({
    type: fc.constant('sync' as const),
    reply: fc.boolean(),
    members: fc.array(
      fc.oneof(
        fc.record({ member: record, incarnation, state: fc.constantFrom('alive' as const, 'left' as const), signature }),
        fc.record({ member: record, incarnation, state: fc.constantFrom('suspect' as const, 'dead' as const) }),
      ),
      { maxLength: 6 },
    ),
  }),
);

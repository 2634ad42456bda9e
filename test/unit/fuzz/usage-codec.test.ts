import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_FRAME_BYTES } from '../../../base/limits.js';
import { decodeUsageSummary, encodeUsageSummary, fitUsageSummary, MAX_USAGE_REPLICAS, type ReplicaUsage, type UsageSummary } from '../../../protocol/usage/usage-codec.js';
import { fuzz } from './mutate.js';

const CODES = ['oversized', 'malformed', 'too-deep', 'invalid', 'version'];

const count = fc.oneof(fc.nat(), fc.maxSafeNat());
const replica: fc.Arbitrary<ReplicaUsage> = fc.record({
  workload: fc.oneof(fc.constantFrom('Workload/default/web', 'Workload/prod/db-1'), fc.string({ minLength: 1, maxLength: 512 })),
  slot: fc.nat(),
  epoch: fc.nat(),
  cpuMillis: count,
  memoryBytes: count,
});
const summary: fc.Arbitrary<UsageSummary> = fc.record({
  node: fc.string({ minLength: 1, maxLength: 128 }),
  atMs: fc.nat(),
  replicas: fc.array(replica, { maxLength: 6 }),
});

fuzz(test, 'decodeUsageSummary', { decode: decodeUsageSummary, encode: encodeUsageSummary, codes: CODES }, summary);

test('a fitted summary of any size is read back whole, within a frame, its replicas a prefix of those given', () => {
  fc.assert(
    fc.property(replica, fc.integer({ min: 0, max: MAX_USAGE_REPLICAS + 500 }), (one, n) => {
      const given: UsageSummary = { node: 'node-a', atMs: 1, replicas: Array.from({ length: n }, (_, slot) => ({ ...one, slot })) };
      const fitted = fitUsageSummary(given);
      const bytes = encodeUsageSummary(fitted);
      assert.ok(bytes.length <= MAX_FRAME_BYTES && fitted.replicas.length <= MAX_USAGE_REPLICAS);
      assert.equal(decodeUsageSummary(bytes), { ok: true, value: fitted });
      assert.equal(fitted.replicas, given.replicas.slice(0, fitted.replicas.length));
    }),
    { numRuns: 200 },
  );
});

test.run();

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nobleVerifier, operatorPublicKey, signDelta, verifyDelta, type DeltaBody } from '../../../crdt/index.js';
import { nativeSigningKey } from '../../../node/native-signer.js';
import { CLUSTER } from '../crdt/fixtures.js';

const body = (author: string, n: number): DeltaBody => ({
  v: 1,
  cluster: CLUSTER,
  author,
  seq: n,
  hlc: { wallMs: 1_000 + n, counter: 0 },
  ops: [{ key: 'Workload/default/x', set: { n } }],
});

test('the native key names and signs as the pure-JS one: the same public key, the same deltas byte for byte', () => {
  // Ed25519 signatures are deterministic, so the two must agree exactly, not only verify.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(1_000_000), (seed, n) => {
      const native = nativeSigningKey(seed);
      assert.is(native.publicKey, operatorPublicKey(seed));
      const signed = signDelta(body(native.publicKey, n), native.sign);
      assert.equal(signed, signDelta(body(native.publicKey, n), seed));
      assert.ok(verifyDelta(signed, nobleVerifier).ok);
    }),
    { numRuns: 50 },
  );
});

test('a seed that is not 32 bytes is refused, not padded or cut', () => {
  for (const length of [0, 31, 33, 64]) assert.throws(() => nativeSigningKey(new Uint8Array(length)), /32 bytes/);
});

test.run();

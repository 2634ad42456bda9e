import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nobleVerifier, verifyDelta } from '../../../crdt/index.js';
import { nativeVerifier } from '../../../node/native-verifier.js';
import { author, write } from '../crdt/fixtures.js';

test('the native verifier agrees with the pure-JS one on good, forged and malformed signatures', () => {
  const a = author(1);
  const good = write(a, 1000, [{ key: 'Workload/default/x', set: { a: 1 } }]);
  const forged = { ...good, sig: good.sig.replace(/^./, good.sig.startsWith('0') ? '1' : '0') };
  const malformed = { ...good, sig: 'zz' };
  const otherAuthor = { ...good, body: { ...good.body, author: author(2).publicKey } };
  const native = nativeVerifier();
  for (const delta of [good, forged, malformed, otherAuthor]) {
    assert.equal(verifyDelta(delta, native), verifyDelta(delta, nobleVerifier));
  }
  assert.ok(verifyDelta(good, native).ok);
  assert.not.ok(verifyDelta(forged, native).ok);
});

test.run();

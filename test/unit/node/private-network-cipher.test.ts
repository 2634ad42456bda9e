import { xsalsa20 } from '@noble/ciphers/salsa.js';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { XSalsa20Stream } from '../../../node/xsalsa20-stream.js';

const key = randomBytes(32);
const nonce = randomBytes(24);

/** Cuts data at the given offsets (any order, repeats and out-of-range ones included). */
function cut(data: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (data.length + 1)))].sort((a, b) => a - b);
  return [...points, data.length].map((end, i) => data.subarray(i === 0 ? 0 : points[i - 1], end));
}

const joined = (parts: Uint8Array[]): Buffer => Buffer.concat(parts);

test('a stream cut anywhere gives the bytes of one xsalsa20 call over the whole', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3_000 }), fc.array(fc.nat(), { maxLength: 40 }), (data, offsets) => {
      const stream = new XSalsa20Stream(key, nonce);
      const sealed = joined(cut(data, offsets).map((part) => stream.xor(part)));
      assert.ok(sealed.equals(xsalsa20(key, nonce, data)));
    }),
  );
});

test('sealing then opening with the same key and nonce round-trips, whatever the cuts on each side', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 3_000 }), fc.array(fc.nat()), fc.array(fc.nat()), (data, sendCuts, receiveCuts) => {
      const sender = new XSalsa20Stream(key, nonce);
      const receiver = new XSalsa20Stream(key, nonce);
      const sealed = joined(cut(data, sendCuts).map((part) => sender.xor(part)));
      const opened = joined(cut(sealed, receiveCuts).map((part) => receiver.xor(part)));
      assert.ok(opened.equals(data));
    }),
  );
});

test('a message larger than one cipher call, from an odd position, still matches the one-shot cipher', () => {
  const data = randomBytes(5 * 1024 * 1024 + 13);
  const stream = new XSalsa20Stream(key, nonce);
  const sealed = joined([stream.xor(data.subarray(0, 7)), stream.xor(data.subarray(7))]);
  assert.ok(sealed.equals(xsalsa20(key, nonce, data)));
});

test('the input is left as it was, so a writer may reuse or keep its buffer', () => {
  const data = randomBytes(1_000);
  const copy = Buffer.from(data);
  new XSalsa20Stream(key, nonce).xor(data);
  assert.ok(data.equals(copy));
});

test('opening with another key or another nonce gives garbage, not the message', () => {
  const data = randomBytes(4_096);
  const sealed = new XSalsa20Stream(key, nonce).xor(data);
  for (const [otherKey, otherNonce] of [
    [randomBytes(32), nonce],
    [key, randomBytes(24)],
  ] as const) {
    const opened = Buffer.from(new XSalsa20Stream(otherKey, otherNonce).xor(sealed));
    assert.not.ok(opened.equals(data));
    const same = opened.reduce((n, byte, i) => n + (byte === data[i] ? 1 : 0), 0);
    assert.ok(same < 64, `${same} of ${data.length} bytes matched by chance`);
  }
});

test('empty writes neither fail nor move the keystream', () => {
  const stream = new XSalsa20Stream(key, nonce);
  const data = randomBytes(100);
  assert.is(stream.xor(new Uint8Array(0)).length, 0);
  assert.ok(Buffer.from(stream.xor(data)).equals(xsalsa20(key, nonce, data)));
});

test.run();

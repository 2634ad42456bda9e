import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { bytesToHex } from '@noble/hashes/utils.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { peerIdOfPublicKey } from '../../../base/peer-id.js';

test('the peer id derived from an Ed25519 public key is the one libp2p gives that key', async () => {
  for (let i = 0; i < 5; i++) {
    const key = await generateKeyPair('Ed25519');
    assert.is(peerIdOfPublicKey(bytesToHex(key.publicKey.raw)), peerIdFromPrivateKey(key).toString());
  }
});

test('a key of the wrong length is refused', () => {
  assert.throws(() => peerIdOfPublicKey('abcd'), /32 bytes/);
});

test.run();

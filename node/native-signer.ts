import type { PrivateKey } from '@libp2p/interface';
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { SPKI_PREFIX } from './native-verifier.js';

/** The DER prefix of an Ed25519 PKCS#8 private key; the 32-byte seed follows it. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface NativeSigningKey {
  /** The raw public key, hex: an operator's or a node's name in the document. */
  publicKey: string;
  sign(message: Uint8Array): Uint8Array;
}

/**
 * Ed25519 through OpenSSL for a key held here. The pure-JS signer (crdt/'s, which the
 * simulator and tests use) builds its precomputed tables on the first use: about 130 ms
 * of CPU in every CLI command and every node start, then about a millisecond a signature.
 */
export function nativeSigningKey(seed: Uint8Array): NativeSigningKey {
  if (seed.length !== 32) throw new Error(`an Ed25519 seed is 32 bytes, not ${seed.length}`);
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return {
    publicKey: spki.subarray(SPKI_PREFIX.length).toString('hex'),
    sign: (message) => new Uint8Array(sign(null, message, key)),
  };
}

/** A node's libp2p key: libp2p keeps an Ed25519 private key as seed and public key, 64 bytes; signing takes the seed. */
export const nodeSigningKey = (privateKey: PrivateKey): NativeSigningKey => nativeSigningKey(privateKey.raw.subarray(0, 32));

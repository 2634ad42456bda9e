import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { SignatureVerifier } from '../crdt/index.js';

/** The DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow it. */
export const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Ed25519 through OpenSSL: anti-entropy can bring thousands of deltas at once, and the
 * pure-JS verifier managed about 700 a second here. Keys are few, so each is parsed once.
 */
export function nativeVerifier(): SignatureVerifier {
  const keys = new Map<string, KeyObject>();
  return (publicKeyHex, message, signatureHex) => {
    try {
      let key = keys.get(publicKeyHex);
      if (key === undefined) {
        key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, Buffer.from(publicKeyHex, 'hex')]), format: 'der', type: 'spki' });
        if (keys.size < 1024) keys.set(publicKeyHex, key);
      }
      return verify(null, message, key, Buffer.from(signatureHex, 'hex'));
    } catch {
      return false;
    }
  };
}

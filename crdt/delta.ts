import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { err, ok, type Result } from '../base/result.js';
import type { Hlc } from './hlc.js';
import { canonicalJson, type Json } from './json.js';
import type { Stamp } from './stamp.js';

export const DELTA_VERSION = 1;

/** One change to one object: set some fields, or delete the object. */
export type Op = { key: string; set: Record<string, Json> } | { key: string; delete: true };

/** What an operator signs. */
export interface DeltaBody {
  v: typeof DELTA_VERSION;
  cluster: string;
  /** The operator's Ed25519 public key, hex. */
  author: string;
  /**
   * Which of the author's writers signed it: a random id per CLI invocation or node run,
   * since one key legitimately writes from several places at once. Absent on older deltas.
   */
  writer?: string;
  /** Per author and writer, counting from 1: two different deltas under one number are an equivocation. */
  seq: number;
  /**
   * The author's latest deltas the writer knew of (its heads), so an author's deltas form
   * a hash chain, a DAG where one key writes from two places at once. A revocation pins
   * heads, and with them exactly the deltas it counted: none can be added behind them
   * later, whatever stamp it carries. Absent on an author's first delta.
   */
  prev?: string[];
  hlc: Hlc;
  ops: Op[];
}

export interface Delta {
  /** sha256 of the canonical body, hex: a delta is named by its content. */
  id: string;
  body: DeltaBody;
  /** Ed25519 signature of the canonical body by `body.author`, hex. */
  sig: string;
}

const DOMAIN = 'shoal/delta/v1\n';
const utf8 = new TextEncoder();

const signedBytes = (body: DeltaBody): Uint8Array => utf8.encode(DOMAIN + canonicalJson(body as unknown as Json));

/** A delta's id from its signed bytes: signing and checking have them at hand already. */
const idOf = (signed: Uint8Array): string => bytesToHex(sha256(signed));

export const deltaId = (body: DeltaBody): string => idOf(signedBytes(body));

export const stampOf = (delta: Delta): Stamp => ({ hlc: delta.body.hlc, author: delta.body.author, id: delta.id });

/** Signs a message with the author's key: node/ passes the platform's native one (node/native-signer.ts). */
export type MessageSigner = (message: Uint8Array) => Uint8Array;

/** Signs with `key`: a secret key (the pure-JS signer) or a signer holding one. */
export function signDelta(body: DeltaBody, key: Uint8Array | MessageSigner): Delta {
  const bytes = signedBytes(body);
  return { id: idOf(bytes), body, sig: bytesToHex(typeof key === 'function' ? key(bytes) : ed25519.sign(bytes, key)) };
}

export function operatorPublicKey(secretKey: Uint8Array): string {
  return bytesToHex(ed25519.getPublicKey(secretKey));
}

export type SignatureError = { code: 'bad-signature' | 'bad-id' };

/** Checks an Ed25519 signature; node/ passes the platform's native one, which is about 20 times faster. */
export type SignatureVerifier = (publicKeyHex: string, message: Uint8Array, signatureHex: string) => boolean;

export const nobleVerifier: SignatureVerifier = (publicKey, message, signature) => {
  try {
    return ed25519.verify(hexToBytes(signature), message, hexToBytes(publicKey));
  } catch {
    return false;
  }
};

/** The id must be the body's hash and the signature the author's. */
export function verifyDelta(delta: Delta, verifier: SignatureVerifier = nobleVerifier): Result<void, SignatureError> {
  const bytes = signedBytes(delta.body);
  if (idOf(bytes) !== delta.id) return err({ code: 'bad-id' });
  return verifier(delta.body.author, bytes, delta.sig) ? ok(undefined) : err({ code: 'bad-signature' });
}

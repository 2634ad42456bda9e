import { generateKey } from '@libp2p/pnet';
import { UserError } from './errors.js';

/**
 * The cluster key is a libp2p private-network pre-shared key: a node without it cannot
 * complete a connection. The protector (node/private-network.ts) reads the go-ipfs
 * swarm.key text, as pnet does; tokens carry only the 32 key bytes, base64url.
 */
const HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n';
const KEY_BYTES = 32;

export class ClusterKeyError extends UserError {
  override readonly name = 'ClusterKeyError';
}

/** Returns the swarm.key file bytes. */
export function generateClusterKey(): Uint8Array {
  const key = new Uint8Array(HEADER.length + 2 * KEY_BYTES);
  generateKey(key);
  return key;
}

export function clusterKeyToToken(psk: Uint8Array): string {
  const text = new TextDecoder().decode(psk);
  if (!text.startsWith(HEADER)) throw new ClusterKeyError('cluster key is not a libp2p swarm key: the /key/swarm/psk/1.0.0/ and /base16/ header lines are missing');
  const hex = text.slice(HEADER.length).trim();
  if (!new RegExp(`^[0-9a-fA-F]{${2 * KEY_BYTES}}$`).test(hex)) throw new ClusterKeyError(`cluster key must hold ${KEY_BYTES} bytes as ${2 * KEY_BYTES} hex digits`);
  return Buffer.from(hex, 'hex').toString('base64url');
}

export function clusterKeyFromToken(token: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(token)) throw new ClusterKeyError('cluster key has characters outside base64url (A-Z a-z 0-9 - _)');
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== KEY_BYTES) throw new ClusterKeyError(`cluster key must be ${KEY_BYTES} bytes in base64url (43 characters); got ${token.length} characters`);
  // Buffer ignores the unused low bits of the last character; refusing them keeps one
  // token per key and catches some damaged copies.
  if (bytes.toString('base64url') !== token) throw new ClusterKeyError('cluster key is damaged: its last character cannot end a 32-byte key');
  return new TextEncoder().encode(`${HEADER}${bytes.toString('hex')}`);
}

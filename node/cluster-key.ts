import { generateKey } from '@libp2p/pnet';

/**
 * The cluster key is a libp2p private-network pre-shared key: a node without it cannot
 * complete a connection. pnet wants the go-ipfs swarm.key text; tokens carry only the
 * 32 key bytes, base64url.
 */
const HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n';

export function generateClusterKey(): Uint8Array {
  const key = new Uint8Array(95);
  generateKey(key);
  return key;
}

export function clusterKeyToToken(psk: Uint8Array): string {
  const text = new TextDecoder().decode(psk);
  const hex = text.slice(HEADER.length).trim();
  if (!text.startsWith(HEADER) || !/^[0-9a-f]{64}$/i.test(hex)) throw new Error('cluster key is not a libp2p swarm key');
  return Buffer.from(hex, 'hex').toString('base64url');
}

export function clusterKeyFromToken(token: string): Uint8Array {
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== 32 || bytes.toString('base64url') !== token) {
    throw new Error('cluster key must be 32 bytes, base64url-encoded');
  }
  return new TextEncoder().encode(`${HEADER}${bytes.toString('hex')}`);
}

import { createHash, randomBytes } from 'node:crypto';
import { httpbis, type Request as SignedRequest } from 'http-message-signatures';
import type { OperatorKey } from './operator-key.js';

/**
 * Every request to a node's API is signed with the operator key, as HTTP Message
 * Signatures (RFC 9421) shape it with Ed25519: the method, the authority (so a request
 * signed for one node is not one for another), the path and query, and for a body its
 * digest (RFC 9530); parameters `created`, `keyid` (the operator's public key, hex) and
 * a random `nonce`, which a node remembers for the window so a request runs once.
 */
export const SIGNED_COMPONENTS = ['@method', '@authority', '@path', '@query'] as const;
export const BODY_DIGEST = 'content-digest';
export const SIGNATURE_PARAMS = ['created', 'keyid', 'alg', 'nonce'] as const;

/** `Content-Digest` (RFC 9530) of a body: sha-256 as a byte sequence. */
export const contentDigest = (body: Uint8Array | string): string => `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;

/** The headers that sign a request: Signature-Input, Signature and, with a body, Content-Digest. */
export async function signatureHeaders(key: OperatorKey, method: string, url: string, body?: string): Promise<Record<string, string>> {
  const headers: Record<string, string> = body === undefined ? {} : { [BODY_DIGEST]: contentDigest(body) };
  const signed = await httpbis.signMessage(
    {
      key: { id: key.publicKey, alg: 'ed25519', sign: async (data) => Buffer.from(key.sign(data)) },
      fields: [...SIGNED_COMPONENTS, ...(body === undefined ? [] : [BODY_DIGEST])],
      params: [...SIGNATURE_PARAMS],
      paramValues: { nonce: randomBytes(16).toString('base64url') },
    },
    { method, url, headers } satisfies SignedRequest,
  );
  return signed.headers as Record<string, string>;
}

import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import { create as createDigest } from 'multiformats/hashes/digest';
import type { ContentKind } from './content-store.js';

const SHA2_256 = 0x12;
const RAW = 0x55;

/**
 * The DHT key a piece of content is announced under. The kind is hashed in, so an image
 * and an artifact never share provider records, and the key names the cluster's content,
 * not bytes a stranger could look up on a public DHT (ours is private anyway: pnet and its
 * own protocol prefix).
 */
export function contentKey(kind: ContentKind, id: string): CID {
  const digest = createHash('sha256').update(`shoal/${kind}/${id}`).digest();
  return CID.createV1(RAW, createDigest(SHA2_256, new Uint8Array(digest)));
}

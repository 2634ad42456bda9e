import { createHash } from 'node:crypto';
import type { RPC } from '@libp2p/gossipsub/message';

/**
 * Gossipsub's fast message id: what it looks up before it checks a message's signature.
 * Without one, every copy of a message (one from each mesh peer, up to six) had its author's
 * key imported and its signature verified before the copy was found to be a duplicate:
 * three quarters of gossipsub's handling of received messages in a profile of an idle node
 * (docs/benchmarks.md, "Footprint").
 *
 * A digest of every field, each prefixed by its length (or by ABSENT), not the author and
 * sequence number alone: gossipsub records the id only once a message passed validation,
 * and a copy that differs in any byte (a forged signature, changed data) must miss it, be
 * checked, and be scored as invalid rather than waved through as a duplicate.
 */
export function fastMessageId(message: RPC.Message): string {
  const hash = createHash('sha256');
  const length = Buffer.alloc(4);
  for (const field of [message.from, message.seqno, message.data, message.signature, message.key, Buffer.from(message.topic)]) {
    length.writeUInt32BE(field === undefined ? ABSENT : field.byteLength);
    hash.update(length);
    if (field !== undefined) hash.update(field);
  }
  return hash.digest('base64');
}

/** No field is 4 GiB long: gossipsub refuses RPCs far smaller. */
const ABSENT = 0xffff_ffff;

import { MAX_PINNED_HEADS } from '../crdt/index.js';
import { UserError } from '../node/errors.js';
import type { ApiClient } from './client.js';

/**
 * A key's heads as the node knows them: a revocation or a grant pins them, so every node
 * counts what they reach and judges anything else the key signs, backdated or not, by
 * the revocation (nothing) or the grant (its role).
 */
export async function authorHeads(client: ApiClient, publicKey: string): Promise<string[]> {
  const author = await client.get<{ heads?: string[] }>(`/v1/authors/${publicKey}`);
  if (author === undefined) throw new UserError(`${client.baseUrl} is not a Shoal node`);
  const heads = author.heads ?? [];
  // Past the bound a revocation or grant would count by stamps alone: refused here, not written so.
  if (heads.length > MAX_PINNED_HEADS) {
    throw new UserError(
      `key ${publicKey.slice(0, 16)}… has forked its writes into ${heads.length} heads, more than a revocation or grant can pin (${MAX_PINNED_HEADS}); nothing was written`,
    );
  }
  return heads;
}

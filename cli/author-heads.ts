import { MAX_PINNED_HEADS } from '../crdt/index.js';
import { UserError } from '../node/errors.js';
import type { ApiClient } from './client.js';

/**
 * A key's heads as the node knows them: a revocation or a grant pins them, so every node
 * counts what they reach and judges anything else the key signs, backdated or not, by
 * the revocation (nothing) or the grant (its role).
 *
 * An honest key has a head or a few (each write names up to 16 of them). One that forked
 * its writes past what a revocation can pin gets the first MAX_PINNED_HEADS pinned, and
 * the rest left out: a fork names the history below it, so what the pinned forks reach
 * stays, and only the forks left out count no more. Writing them all would have made the
 * revocation pin nothing, and count nowhere.
 */
export async function authorHeads(client: ApiClient, publicKey: string): Promise<string[]> {
  const author = await client.get<{ heads?: string[] }>(`/v1/authors/${publicKey}`);
  if (author === undefined) throw new UserError(`${client.baseUrl} is not a Shoal node`);
  const { pinned, left } = pinnable(author.heads ?? []);
  if (left > 0)
    console.error(
      `key ${publicKey.slice(0, 16)}… has forked its writes into ${pinned.length + left} heads; ${pinned.length} are pinned, and what only the other ${left} reach counts no more`,
    );
  return pinned;
}

/** The heads a revocation or grant pins: all, or the first MAX_PINNED_HEADS in order; and how many are left out. */
export function pinnable(heads: readonly string[]): { pinned: string[]; left: number } {
  const pinned = [...heads].sort().slice(0, MAX_PINNED_HEADS);
  return { pinned, left: heads.length - pinned.length };
}

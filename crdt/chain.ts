import type { Delta } from './delta.js';

/**
 * Each author's deltas as a hash chain: a delta names the author's heads its writer knew
 * of (`prev`), so heads are the deltas no later delta of the author names. A revocation
 * pins heads; what they reach is exactly what it counted.
 */
export class AuthorChains {
  private readonly heads = new Map<string, Set<string>>();
  /** Ids some held delta names as a predecessor: they are no head, and collecting one would break a chain. */
  private readonly named = new Set<string>();

  add(delta: Delta): void {
    const author = delta.body.author;
    let heads = this.heads.get(author);
    if (heads === undefined) this.heads.set(author, (heads = new Set()));
    for (const id of delta.body.prev ?? []) {
      this.named.add(id);
      heads.delete(id);
    }
    if (!this.named.has(delta.id)) heads.add(delta.id);
  }

  /** A collected delta: it was no link (see `isLink`), so only the heads change. */
  remove(delta: Delta): void {
    this.heads.get(delta.body.author)?.delete(delta.id);
  }

  headsOf(author: string): string[] {
    return [...(this.heads.get(author) ?? [])].sort();
  }

  isLink(id: string): boolean {
    return this.named.has(id);
  }
}

/**
 * The ids `heads` reach through the `prev` links of `author`'s held deltas, heads
 * included. An id named but not held yet is in the set too, so a counted delta that
 * arrives late still counts; nothing outside the set can join it, since joining means
 * being named by a delta inside it, and names are hashes of signed content.
 */
export function ancestry(author: string, heads: Iterable<string>, get: (id: string) => Delta | undefined): Set<string> {
  const reached = new Set<string>();
  const stack = [...heads];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (reached.has(id)) continue;
    reached.add(id);
    const delta = get(id);
    if (delta !== undefined && delta.body.author === author) stack.push(...(delta.body.prev ?? []));
  }
  return reached;
}

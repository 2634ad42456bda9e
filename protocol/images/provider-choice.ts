import type { Random } from '../../base/random.js';

export interface ProviderChoiceOptions {
  /** This node: it never asks itself. */
  self: string;
  /** Whether a connection to the peer is open (or known to work): those are tried first. */
  reachable: (peer: string) => boolean;
  /** Providers already tried for this content in this round, that refused or sent bad bytes. */
  failed: ReadonlySet<string>;
  random: Random;
}

/**
 * The provider to fetch content from: one chosen uniformly at random among the
 * reachable ones that have not failed, else among the unreachable ones that have not
 * failed, else undefined. At random, not the first listed: when twenty nodes need the
 * same image, they would otherwise all pull from its first holder, while spread out
 * they find the others, and each node that completes becomes one more holder.
 */
export function chooseProvider(providers: readonly string[], options: ProviderChoiceOptions): string | undefined {
  // A provider listed twice (two announcements) counts once, so it is not twice as likely.
  const candidates = [...new Set(providers)].filter((p) => p !== options.self && !options.failed.has(p));
  const reachable = candidates.filter((p) => options.reachable(p));
  const pool = reachable.length > 0 ? reachable : candidates;
  return pool.length === 0 ? undefined : pool[options.random.int(pool.length)];
}

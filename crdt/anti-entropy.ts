import { sameSummary, type DeltaDigest, type PrefixSummary } from './digest.js';

/**
 * One anti-entropy exchange as pure steps, driven by node/: the initiator asks about
 * prefixes, the peer answers each with its ids (small prefixes) or its children's
 * summaries, and the initiator works out the next prefixes to ask about and the ids
 * each side lacks. It starts with the root prefix and ends when nothing differs.
 */
export interface DigestQuery {
  prefixes: string[];
}

export type DigestEntry = { prefix: string; summary: PrefixSummary } & ({ ids: string[] } | { children: PrefixSummary[] });

export interface DigestAnswer {
  entries: DigestEntry[];
}

export const firstQuery = (): DigestQuery => ({ prefixes: [''] });

/**
 * Prefixes in one query: an answer entry is at most about 1.2 kB (16 ids or 16
 * children), so the answer to this many fits in a frame. A peer's query of more is
 * refused by the codec: each prefix is work for the responder.
 */
export const MAX_QUERY_PREFIXES = 128;

export function answerQuery(digest: DeltaDigest, query: DigestQuery): DigestAnswer {
  return {
    entries: [...new Set(query.prefixes)]
      .slice(0, MAX_QUERY_PREFIXES)
      .map((prefix) =>
        digest.isLeaf(prefix)
          ? { prefix, summary: digest.summary(prefix), ids: digest.ids(prefix) }
          : { prefix, summary: digest.summary(prefix), children: digest.children(prefix) },
      ),
  };
}

export interface Comparison {
  next: DigestQuery | undefined;
  /** Ids the peer has and we lack: ask for them. */
  missingHere: string[];
  /** Ids we have and the peer lacks: send them. */
  missingThere: string[];
}

export function compareAnswer(digest: DeltaDigest, answer: DigestAnswer): Comparison {
  const next: string[] = [];
  const missingHere: string[] = [];
  const missingThere: string[] = [];
  for (const entry of answer.entries) {
    if (sameSummary(entry.summary, digest.summary(entry.prefix))) continue;
    if ('ids' in entry) {
      const theirs = new Set(entry.ids);
      const ours = digest.ids(entry.prefix);
      const ourSet = new Set(ours);
      missingHere.push(...entry.ids.filter((id) => !ourSet.has(id)));
      missingThere.push(...ours.filter((id) => !theirs.has(id)));
      continue;
    }
    for (const child of entry.children) {
      const ours = digest.summary(child.prefix);
      if (sameSummary(child, ours)) continue;
      if (child.count === 0) missingThere.push(...digest.ids(child.prefix));
      else next.push(child.prefix);
    }
  }
  return { next: next.length > 0 ? { prefixes: next } : undefined, missingHere, missingThere };
}

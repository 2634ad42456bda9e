import { fnv1a } from '../scheduler/fnv.js';

/**
 * A member that joined through the private network (so it holds the cluster key) is
 * admitted by one admitted member, picked alike by all of them with no message: the
 * one ranked first for this joiner by a hash of (joiner, member). Should that member be
 * slow or gone, any admitted member steps in after `graceMs`, so a join never stalls.
 * Admitting twice is harmless (the same object, written twice), so views that differ
 * cost a spare write at most.
 */
export interface AdmissionView {
  self: string;
  joiner: string;
  /** Live members this node sees as admitted, itself included. */
  admitted: readonly string[];
  /** How long this node has seen the joiner alive and not admitted. */
  waitedMs: number;
  graceMs: number;
}

export function admitsNow(view: AdmissionView): boolean {
  if (view.joiner === view.self || !view.admitted.includes(view.self)) return false;
  if (view.waitedMs >= view.graceMs) return true;
  return firstAdmitter(view.joiner, view.admitted) === view.self;
}

export function firstAdmitter(joiner: string, admitted: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestRank = -1;
  for (const member of admitted) {
    const rank = fnv1a(`${joiner}/${member}`);
    if (rank > bestRank || (rank === bestRank && best !== undefined && member < best)) {
      best = member;
      bestRank = rank;
    }
  }
  return best;
}

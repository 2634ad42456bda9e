import type { Candidate, Demand, SchedulingPolicy } from './candidate.js';
import { checkFeasibility, type RejectReason } from './filters/index.js';
import { score, type SpreadContext } from './scores/index.js';
import { tiebreak } from './slot.js';

export interface Bid {
  auction: string;
  node: string;
  score: number;
  tiebreak: string;
}

/**
 * A node that cannot take the slot says why, so the auction can close without waiting
 * for it. `deferred` is different: the node could take the slot but holds back for now
 * (its share of the open demand is spoken for); the auction waits for a bid.
 */
export type DeclineReason = RejectReason | 'deferred';

export interface Decline {
  auction: string;
  node: string;
  reason: DeclineReason;
  detail: string;
}

export const isDeferral = (answer: Bid | Decline): boolean => 'reason' in answer && answer.reason === 'deferred';

/** Filter, then score: this node's answer to one auction. */
export function bidFor(auction: string, policy: SchedulingPolicy, demand: Demand, candidate: Candidate, context: SpreadContext): Bid | Decline {
  const feasibility = checkFeasibility(demand, candidate);
  if (!feasibility.ok) return { auction, node: candidate.id, reason: feasibility.reason, detail: feasibility.detail };
  return { auction, node: candidate.id, score: score(policy, demand, candidate, context), tiebreak: tiebreak(auction, candidate.id) };
}

export const isBid = (answer: Bid | Decline): answer is Bid => 'score' in answer;

/** The order every node uses, and the placement record's merge rule: higher score, then lower tiebreak. */
export function compareBids(a: Bid, b: Bid): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.tiebreak < b.tiebreak ? -1 : a.tiebreak > b.tiebreak ? 1 : a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** The best bid among those seen: a pure function of the set, whatever order it came in. */
export function winner(bids: readonly Bid[]): Bid | undefined {
  let best: Bid | undefined;
  for (const bid of bids) if (best === undefined || compareBids(bid, best) < 0) best = bid;
  return best;
}

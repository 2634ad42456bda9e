import { compareBids } from '../auction/bid.js';
import { isWinningClaim, type Claim } from './view.js';

/** The winner of one epoch of a slot: the best bid among the collectors' claims. */
export interface Assignment {
  epoch: number;
  node: string;
  score: number;
  tiebreak: string;
}

export interface SlotHistory {
  /** One per epoch that has a winner, oldest first. */
  readonly assignments: readonly Assignment[];
  maxEpoch: number;
  /** The latest epoch, when it closed with no bid at all. */
  unschedulable: Extract<Claim, { unschedulable: true }> | undefined;
  /** Epochs in a row, counting back from the latest, that closed with no bid. */
  unschedulableRun: number;
}

/**
 * Histories folded, by the list of claims they fold: a view's lists are values, never
 * changed once made (scheduler/from-document.ts keeps one per placement value), and every
 * plan folds every slot's, at each tick of every node.
 */
const folded = new WeakMap<readonly Claim[], SlotHistory>();

/**
 * Folds the claims of a slot. Collectors that saw different bids may name different
 * winners for one epoch; every node keeps the best bid by the auction's own order, so
 * all converge on one winner without a coordinator. `claims` must not change afterwards.
 */
export function slotHistory(claims: readonly Claim[]): SlotHistory {
  let history = folded.get(claims);
  if (history === undefined) {
    history = fold(claims);
    folded.set(claims, history);
  }
  return history;
}

function fold(claims: readonly Claim[]): SlotHistory {
  const best = new Map<number, Assignment>();
  const empty = new Map<number, Extract<Claim, { unschedulable: true }>>();
  let maxEpoch = 0;
  for (const claim of claims) {
    maxEpoch = Math.max(maxEpoch, claim.epoch);
    if (!isWinningClaim(claim)) {
      const seen = empty.get(claim.epoch);
      if (seen === undefined || claim.collector < seen.collector) empty.set(claim.epoch, claim);
      continue;
    }
    const bid = { auction: '', node: claim.winner, score: claim.score, tiebreak: claim.tiebreak };
    const current = best.get(claim.epoch);
    if (current === undefined || compareBids(bid, { auction: '', ...current }) < 0) {
      best.set(claim.epoch, { epoch: claim.epoch, node: claim.winner, score: claim.score, tiebreak: claim.tiebreak });
    }
  }
  let unschedulableRun = 0;
  for (let e = maxEpoch; e > 0 && !best.has(e) && empty.has(e); e--) unschedulableRun++;
  return {
    assignments: [...best.values()].sort((a, b) => a.epoch - b.epoch),
    maxEpoch,
    unschedulable: best.has(maxEpoch) ? undefined : empty.get(maxEpoch),
    unschedulableRun,
  };
}

/**
 * No node can know every bid is in, so an auction closes by a rule over the membership
 * view: once every live member has answered, or its window has passed, it closes with
 * a winner if any bid came. With none, it stays open while a live member that could
 * take the slot has deferred (it will bid later), and otherwise closes empty. Bids that
 * come after such a wait come one by one, as the deferring nodes tick: the auction
 * gathers them a little longer, so the best of them wins and not the first.
 */
export interface AuctionProgress {
  openedAtMs: number;
  windowMs: number;
  liveMembers: ReadonlySet<string>;
  /** A set, or the map of answers itself: only membership is asked. */
  answered: { has(member: string): boolean };
  bids: number;
  /** Live members that deferred. */
  deferring: number;
  /** When the first bid came, if the auction was waiting for bids by then. */
  lateBidAtMs: number | undefined;
  gatherMs: number;
}

export function isClosed(progress: AuctionProgress, nowMs: number): boolean {
  if (!heardOut(progress, nowMs)) return false;
  if (progress.bids === 0) return progress.deferring === 0;
  return progress.lateBidAtMs === undefined || nowMs - progress.lateBidAtMs >= progress.gatherMs;
}

/** Every live member answered, or the window passed. */
export function heardOut(progress: Pick<AuctionProgress, 'openedAtMs' | 'windowMs' | 'liveMembers' | 'answered'>, nowMs: number): boolean {
  if (nowMs - progress.openedAtMs >= progress.windowMs) return true;
  for (const member of progress.liveMembers) if (!progress.answered.has(member)) return false;
  return true;
}

/**
 * No node can know every bid is in, so an auction closes by a rule over the membership
 * view: once every live member has answered, or its window has passed, it closes with
 * a winner if any bid came. The window is long, since slow is not dead (SWIM takes a
 * dead member out of the live set, and then the auction closes); only members that
 * already let an auction close without their answer get the short one, so a member
 * that is alive to SWIM but never answers costs each auction the short window once.
 * With no bid, it stays open while a live member that could take the slot has deferred
 * (it will bid later), and otherwise closes empty. Bids that come after such a wait
 * come one by one, as the deferring nodes tick: the auction gathers them a little
 * longer, so the best of them wins and not the first.
 */
export interface AuctionProgress {
  openedAtMs: number;
  windowMs: number;
  /** The wait when every member yet to answer is `silent`. */
  silentWindowMs: number;
  /** Members that did not answer the last auction this collector closed. */
  silent: ReadonlySet<string>;
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

/** Every live member answered, or the window passed: the short one if all still to answer are silent. */
export function heardOut(progress: Pick<AuctionProgress, 'openedAtMs' | 'windowMs' | 'silentWindowMs' | 'silent' | 'liveMembers' | 'answered'>, nowMs: number): boolean {
  const waited = nowMs - progress.openedAtMs;
  if (waited >= progress.windowMs) return true;
  const pastSilentWindow = waited >= progress.silentWindowMs;
  for (const member of progress.liveMembers) if (!progress.answered.has(member) && !(pastSilentWindow && progress.silent.has(member))) return false;
  return true;
}

/**
 * No node can know every bid is in, so an auction closes by a rule over the membership
 * view: when every live member has bid or declined, or when the window has passed.
 */
export interface AuctionProgress {
  openedAtMs: number;
  windowMs: number;
  liveMembers: ReadonlySet<string>;
  /** A set, or the map of answers itself: only membership is asked. */
  answered: { has(member: string): boolean };
}

export function isClosed(progress: AuctionProgress, nowMs: number): boolean {
  if (nowMs - progress.openedAtMs >= progress.windowMs) return true;
  for (const member of progress.liveMembers) if (!progress.answered.has(member)) return false;
  return true;
}

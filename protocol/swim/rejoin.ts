import { isReachableState, type MemberId, type MemberView } from './member.js';

/** A member a restarted node may dial to find its cluster again, as Serf's snapshot keeps them. */
export interface RejoinEntry {
  id: MemberId;
  addrs: string[];
}

/** Enough to find a cluster through a partition or a few dead nodes, small enough to dial all at once. */
export const REJOIN_SNAPSHOT_LIMIT = 64;
export const REJOIN_ADDRS_LIMIT = 16;

/**
 * The members worth remembering: the other reachable ones, alive before suspect. Sorted,
 * so that an unchanged membership gives the same snapshot and the file is not rewritten.
 */
export function rejoinSnapshot(members: readonly MemberView[], self: MemberId): RejoinEntry[] {
  const rank = (m: MemberView): number => (m.state === 'alive' ? 0 : 1);
  return members
    .filter((m) => m.record.id !== self && isReachableState(m.state) && m.record.addrs.length > 0)
    .sort((a, b) => rank(a) - rank(b) || (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0))
    .slice(0, REJOIN_SNAPSHOT_LIMIT)
    .map((m) => ({ id: m.record.id, addrs: m.record.addrs.slice(0, REJOIN_ADDRS_LIMIT) }));
}

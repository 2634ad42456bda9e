import type { Incarnation, MemberId, MemberRecord, MemberState } from './member.js';

export const SWIM_WIRE_VERSION = 1;

/** A change to one member, piggybacked on every message and spread by gossip. */
export type Update =
  | { kind: 'alive'; incarnation: Incarnation; member: MemberRecord }
  | { kind: 'suspect'; incarnation: Incarnation; id: MemberId; from: MemberId }
  | { kind: 'dead'; incarnation: Incarnation; id: MemberId; from: MemberId }
  | { kind: 'left'; incarnation: Incarnation; id: MemberId };

export interface SyncEntry {
  member: MemberRecord;
  incarnation: Incarnation;
  state: MemberState;
}

/**
 * Messages are immutable once built: the simulator hands one object to its receiver.
 * `lagMs`, on any message, is how late its sender reckons it runs (lag.ts); absent, no lag
 * worth a score. Older nodes leave it out and ignore it.
 */
export type SwimMessage = (
  | { type: 'ping'; seq: number; target: MemberId; updates: Update[] }
  | { type: 'ack'; seq: number; updates: Update[] }
  | { type: 'ping-req'; seq: number; target: MemberId; updates: Update[] }
  | { type: 'nack'; seq: number; updates: Update[] }
  | { type: 'gossip'; updates: Update[] }
  | { type: 'sync'; reply: boolean; members: SyncEntry[] }
) & { lagMs?: number };

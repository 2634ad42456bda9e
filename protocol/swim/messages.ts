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

/** Messages are immutable once built: the simulator hands one object to its receiver. */
export type SwimMessage =
  | { type: 'ping'; seq: number; target: MemberId; updates: Update[] }
  | { type: 'ack'; seq: number; updates: Update[] }
  | { type: 'ping-req'; seq: number; target: MemberId; updates: Update[] }
  | { type: 'nack'; seq: number; updates: Update[] }
  | { type: 'gossip'; updates: Update[] }
  | { type: 'sync'; reply: boolean; members: SyncEntry[] };

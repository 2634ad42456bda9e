import type { Incarnation, MemberId, MemberRecord, MemberState } from './member.js';

/** 2: alive and left are signed by their member (member-signatures.ts); a node of version 1 cannot join. */
export const SWIM_WIRE_VERSION = 2;

/**
 * A change to one member, piggybacked on every message and spread by gossip. Alive and
 * left carry the member's own signature (member-signatures.ts); suspect and dead are
 * anyone's accusations.
 */
export type Update =
  | { kind: 'alive'; incarnation: Incarnation; member: MemberRecord; signature: string }
  | { kind: 'suspect'; incarnation: Incarnation; id: MemberId; from: MemberId }
  | { kind: 'dead'; incarnation: Incarnation; id: MemberId; from: MemberId }
  | { kind: 'left'; incarnation: Incarnation; id: MemberId; signature: string };

/** The member's signature of its record at `incarnation` (of its leave when `state` is left); an accusation has it where its sender holds it. */
export interface SyncEntry {
  member: MemberRecord;
  incarnation: Incarnation;
  state: MemberState;
  signature?: string;
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

import { encodeRecord } from './codec.js';
import type { Incarnation, MemberId, MemberRecord } from './member.js';

/**
 * What only a member may say of itself is signed by it: its record at an incarnation
 * (alive) and its leaving. Anyone may still accuse (suspect, dead), but only at an
 * incarnation the member signed, which it refutes by signing the next: a key holder
 * that accused at 2^32-1, or spoke for a member's record or its leave, evicted it.
 *
 * The driver holds the key: node/ signs with the Ed25519 key behind its libp2p peer id
 * and checks with the key a member id names (base/peer-id.ts); the simulator signs with
 * a cheap stand-in of its own.
 */
export interface MemberSignatures {
  /** This member's signature of `statement`. */
  sign(statement: string): string;
  /** Whether `signature` is member `id`'s of `statement`. */
  verify(id: MemberId, statement: string, signature: string): boolean;
}

/** The record is in its wire form, which every node encodes alike (codec.ts). */
export const aliveStatement = (incarnation: Incarnation, record: MemberRecord): string => `shoal/swim/alive\n${incarnation}\n${encodeRecord(record)}`;

export const leftStatement = (id: MemberId, incarnation: Incarnation): string => `shoal/swim/left\n${incarnation}\n${id}`;

/** What a signed statement is refused for: its signature, or an accusation above any incarnation the member signed. */
export type SwimRefusal = 'signature' | 'incarnation';

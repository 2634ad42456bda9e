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

/**
 * A member list's judge of what members say of themselves: it signs this member's
 * statements, checks others', and counts what it refuses.
 */
export class MemberStatements {
  /** Updates refused, by why: each one a forgery, or an accusation of an incarnation not (yet) signed here. */
  readonly refused: Record<SwimRefusal, number> = { signature: 0, incarnation: 0 };

  constructor(private readonly signatures: MemberSignatures) {}

  signAlive(incarnation: Incarnation, record: MemberRecord): string {
    return this.signatures.sign(aliveStatement(incarnation, record));
  }

  signLeft(id: MemberId, incarnation: Incarnation): string {
    return this.signatures.sign(leftStatement(id, incarnation));
  }

  /** `member.id`'s own word that it is alive with `member` at `incarnation`. */
  alive(member: MemberRecord, incarnation: Incarnation, signature: string | undefined): boolean {
    return this.signed(member.id, aliveStatement(incarnation, member), signature);
  }

  /** `id`'s own word that it leaves at `incarnation`. */
  left(id: MemberId, incarnation: Incarnation, signature: string): boolean {
    return this.signed(id, leftStatement(id, incarnation), signature);
  }

  /**
   * An accusation above the incarnation the member last signed is refused: nobody can have
   * seen it alive there. Honest, it raced the member's refutation here, and its accuser's
   * own probes will accuse again; forged, refuting it would take the member past what any
   * node decodes (2^32), or keep it refuting.
   */
  accusable(incarnation: Incarnation, signedIncarnation: Incarnation): boolean {
    if (incarnation <= signedIncarnation) return true;
    this.refused.incarnation++;
    return false;
  }

  private signed(id: MemberId, statement: string, signature: string | undefined): boolean {
    if (signature !== undefined && this.signatures.verify(id, statement, signature)) return true;
    this.refused.signature++;
    return false;
  }
}

import { aliveStatement, type LearnedMember, type MemberId, type MemberRecord, type MemberSignatures } from '../../protocol/swim/index.js';

/**
 * The simulator's stand-in for members' signatures: a 32-bit FNV-1a of the signer and the
 * statement. Cheap enough to sign every member of a 10,000-node start, and checked as a
 * real one is, so the rules about signed statements run in every simulation; it keeps
 * out nothing but a test's forgery.
 */
export function standInSignatures(self: MemberId): MemberSignatures {
  return { sign: (statement) => standInSignature(self, statement), verify: (id, statement, signature) => signature === standInSignature(id, statement) };
}

export function standInSignature(id: MemberId, statement: string): string {
  let hash = 0x811c9dc5;
  for (const text of [id, '\n', statement]) {
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** Members a converged start gives every node, each with its own signature of its record at incarnation 0. */
export const signedAtStart = (records: readonly MemberRecord[]): LearnedMember[] =>
  records.map((record) => ({ record, signature: standInSignature(record.id, aliveStatement(0, record)) }));

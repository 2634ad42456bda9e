import { sha256 } from '@noble/hashes/sha2.js';

const utf8 = new TextEncoder();

/** The first 48 bits of sha256(workload, member): enough to order members, exact in a double. */
function weight(workload: string, member: string): number {
  const digest = sha256(utf8.encode(`${workload}\u0000${member}`));
  let value = 0;
  for (let i = 0; i < 6; i++) value = value * 256 + (digest[i] as number);
  return value;
}

/**
 * The members in the order they decide for `workload`: rendezvous hashing, so every node
 * that sees the same live members names the same decider, and when it goes only the
 * workloads it decided move, each to the next member in its own order.
 */
export function decidersOf(workload: string, members: readonly string[]): string[] {
  return [...new Set(members)]
    .map((member) => ({ member, weight: weight(workload, member) }))
    .sort((a, b) => b.weight - a.weight || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0))
    .map((m) => m.member);
}

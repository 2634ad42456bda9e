import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/**
 * A replica slot is (workload, index); it is auctioned again under a new epoch each time
 * it needs a node (new, its node died or drained, or the replica failed for good). Every
 * node derives the same auction id from the same shared state.
 */
export interface Slot {
  workload: string;
  index: number;
}

export const slotKey = (slot: Slot): string => `${slot.workload}#${slot.index}`;

/** Ids already derived: every node plans every open slot every tick, and hashing them again dominated its time. */
const derived = new Map<string, string>();
const MAX_DERIVED = 100_000;

export function auctionId(slot: Slot, epoch: number): string {
  const text = `auction/${slotKey(slot)}/${epoch}`;
  let id = derived.get(text);
  if (id === undefined) {
    if (derived.size >= MAX_DERIVED) derived.clear();
    id = bytesToHex(sha256(new TextEncoder().encode(text))).slice(0, 32);
    derived.set(text, id);
  }
  return id;
}

/** A stable pseudo-random tie-break per (auction, node): no node is favoured in every tie. */
export const tiebreak = (auction: string, node: string): string => bytesToHex(sha256(new TextEncoder().encode(`tiebreak/${auction}/${node}`))).slice(0, 32);

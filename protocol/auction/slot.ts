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

export const auctionId = (slot: Slot, epoch: number): string =>
  bytesToHex(sha256(new TextEncoder().encode(`auction/${slotKey(slot)}/${epoch}`))).slice(0, 32);

/** A stable pseudo-random tie-break per (auction, node): no node is favoured in every tie. */
export const tiebreak = (auction: string, node: string): string =>
  bytesToHex(sha256(new TextEncoder().encode(`tiebreak/${auction}/${node}`))).slice(0, 32);

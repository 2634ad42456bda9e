/** A member is named by its libp2p peer id. */
export type MemberId = string;

/** Raised by the member itself to refute a suspicion or to publish a new record. */
export type Incarnation = number;

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

export interface Capacity {
  cpuMillis: number;
  memoryBytes: number;
}

/**
 * What a member says about itself. Immutable for a given incarnation: a member that
 * changes its addresses or labels raises its incarnation and announces the new record.
 */
export interface MemberRecord {
  id: MemberId;
  addrs: string[];
  labels: Record<string, string>;
  capacity: Capacity;
  /** The Shoal version the member runs. */
  version: string;
}

/** One member as one node sees it. */
export interface MemberView {
  record: MemberRecord;
  state: MemberState;
  incarnation: Incarnation;
  stateChangedAtMs: number;
}

export const STATE_CODES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

export const stateCode = (state: MemberState): number => STATE_CODES.indexOf(state);

export const isReachableState = (state: MemberState): boolean => state === 'alive' || state === 'suspect';

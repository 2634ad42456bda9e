import type { Op } from './delta.js';
import type { ClusterDocument } from './document.js';

/**
 * What an admitted node may write, which the replica is given rather than knows: the
 * document is the mechanism (who counts, folding, recounting on change), the kinds
 * nodes write and their rules are the scheduler's and the agent's (protocol/node-writes.ts).
 * Every verdict must be a function of the op, its node and the document, so replicas
 * holding the same deltas agree.
 */
export interface NodeWritePolicy {
  /**
   * The object whose changes may change the verdict on a node-written key (for the
   * scheduler's kinds, the workload); undefined where no node may write the key.
   */
  ownerOf(key: string): string | undefined;
  /** Checked before a node's delta is stored: whether the op has a shape its role allows. */
  shapeAllowed(op: Op, node: string): boolean;
  /** Whether a node's op counts against the document as it stands. */
  counts(document: ClusterDocument, op: Op, node: string): boolean;
  /**
   * Held node ops of one key are judged in this order, then by stamp: one may lift the
   * bound the next is judged by. A rank none of whose ops counts lifts no higher rank, so
   * judging held ops again stops there.
   */
  rank(op: Op): number;
  /**
   * The node-written keys to judge again once `changed` changed. `written`: the keys
   * nodes wrote for `changed`'s owner (or for `changed` itself, when it is an owner);
   * `existence`: whether `changed` came into being or went away with this change.
   */
  dependents(changed: string, written: ReadonlySet<string>, existence: boolean): string[];
  /** In a full rebuild, keys are judged pass by pass, lowest first: what others depend on goes first. */
  pass(key: string): number;
  /** Says what nodes may write, for a refusal. */
  readonly summary: string;
}

/** A document no node writes to: the default of a replica given no policy. */
export const NO_NODE_WRITES: NodeWritePolicy = {
  ownerOf: () => undefined,
  shapeAllowed: () => false,
  counts: () => false,
  rank: () => 0,
  dependents: () => [],
  pass: () => 0,
  summary: 'nodes may write nothing here',
};

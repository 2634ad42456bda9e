import type { Json, Stamp } from '../../../crdt/index.js';

/** What a client asked for: a whole workload, a new replica count, or the workload's removal. */
export type OpKind = 'apply' | 'scale' | 'delete';

export type OpResult = { ok: true; delta: string } | { ok: false; error: string };

/** One request and its answer, as the client saw them. Times are the host's `Date.now()`. */
export interface ClientOp {
  /** BASELINE_CLIENT for the runner's own writes, `client-N` for the concurrent clients. */
  client: string;
  kind: OpKind;
  /** The testnet node the request went to (`node-3`). */
  node: string;
  /** The workload's document key, `Workload/<namespace>/<name>`. */
  workload: string;
  /** The fields written; null for a delete, which removes every field. */
  fields: Record<string, Json> | null;
  /**
   * The stamp of the signed delta, set just before it is posted. Stamps order every write
   * as the document does, whatever the clocks of the nodes; a request that failed before
   * it was posted has none, and cannot have reached any node. A refused one keeps its
   * stamp: counting it as possibly landed only lets the checker allow one more outcome.
   */
  stamp: Stamp | null;
  startMs: number;
  endMs: number;
  result: OpResult;
}

export type FaultKind = 'partition' | 'kill' | 'pause' | 'skew' | 'loss' | 'slow' | 'compound';

/** Faults that take no node down or cut it off: every member stays alive throughout, so none may be held dead. */
export const KEEPS_EVERY_NODE_UP: ReadonlySet<FaultKind> = new Set(['skew', 'loss', 'slow']);

/** A fault as it happened: injected at `startMs`, healed at `endMs`. */
export interface FaultEvent {
  name: string;
  kind: FaultKind;
  nodes: string[];
  startMs: number;
  endMs: number;
}

export interface History {
  ops: ClientOp[];
  faults: FaultEvent[];
}

/** The client name of the runner's own writes: the workloads a scenario starts from. */
export const BASELINE_CLIENT = 'baseline';

export const acknowledged = (op: ClientOp): boolean => op.result.ok;

/** An unanswered write may still have been stored and spread: the checker must allow for it. */
export const mayHaveLanded = (op: ClientOp): boolean => op.stamp !== null;

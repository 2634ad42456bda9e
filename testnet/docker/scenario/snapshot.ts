import type { Json } from '../../../crdt/index.js';
import type { PlacementJson } from '../../../protocol/api/placements.js';
import type { NodeJson } from '../../../protocol/api/nodes.js';

export interface WorkloadObject {
  key: string;
  fields: Record<string, Json>;
}

/** What one node's API answered at the end of a scenario. */
export interface NodeView {
  /** The delta digest as `count:xor`: equal on two nodes exactly when they hold the same deltas. */
  digest: string;
  liveMembers: number;
  /** What the node reported as equivocations (two deltas under one author, writer and sequence number), newest last. */
  equivocations: unknown[];
  workloads: WorkloadObject[];
  placements: PlacementJson[];
  members: NodeJson[];
}

export interface NodeSnapshot {
  /** The testnet name, `node-3`. */
  node: string;
  peerId: string;
  /** Null where the node did not answer, with the reason in `error`. */
  view: NodeView | null;
  error: string | null;
}

/** A replica container the host's engine reports running, read from its labels. */
export interface RunningReplica {
  container: string;
  /** The owning node's peer id (the io.shoal.node label). */
  node: string;
  workload: string;
  slot: number;
  epoch: number;
}

/** Every node's answers and the engine's running replicas, taken together after a heal. */
export interface Snapshot {
  atMs: number;
  nodes: NodeSnapshot[];
  replicas: RunningReplica[];
}

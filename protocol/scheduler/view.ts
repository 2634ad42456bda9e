import type { Demand, SchedulingPolicy } from '../auction/candidate.js';
import type { Resources } from '../auction/resources.js';
import type { CronInfo } from '../manifests/cron-job.js';
import type { JobInfo } from '../manifests/job.js';

/**
 * What one node knows when it schedules: members from SWIM, everything else from its
 * replica of the cluster document. Two nodes with the same view decide the same.
 */
export type Liveness = 'alive' | 'suspect' | 'dead' | 'left';

export interface NodeInfo {
  id: string;
  state: Liveness;
  labels: Readonly<Record<string, string>>;
  capacity: Resources;
  /** When this view last saw the node's state change: how long it has been dead. */
  stateChangedAtMs: number;
  cordoned: boolean;
  draining: boolean;
  /** This node's own requests to it have gone unanswered for a probe period (SwimMachine.silentMembers). */
  silent?: boolean | undefined;
  /** Ids of the images the node says it holds (the document's ImageHolders object): the auction prefers holders. */
  images?: ReadonlySet<string> | undefined;
}

export type PartitionPolicy = 'available' | 'majority';

export interface WorkloadInfo {
  /** `Workload/<namespace>/<name>`. */
  key: string;
  /** For a global workload, counted from the members (global-mode.ts), not read from the spec. */
  replicas: number;
  global?: boolean | undefined;
  demand: Demand;
  policy: SchedulingPolicy;
  partitionPolicy: PartitionPolicy;
  /** For a Job: slots are completion indexes, each run until it completes once. */
  job?: JobInfo | undefined;
  /** For a CronJob: slots are ticks (seconds since the epoch), each run once. */
  cron?: CronInfo | undefined;
  /** The hash of its container-shaping fields (manifests/container.ts specVersionOf): which spec a status's failure was of. */
  specVersion?: string | undefined;
}

/** A collector's decision for one epoch of a slot, as written into the Placement object. */
export type Claim =
  | { epoch: number; collector: string; winner: string; score: number; tiebreak: string; bids: number; declines: Record<string, number> }
  | { epoch: number; collector: string; unschedulable: true; declines: Record<string, number>; retryAtMs: number; liveMembers: number };

/** What a node reports about the replica of a slot it runs (a subset of the agent's status). */
export interface SlotStatus {
  node: string;
  epoch: number;
  state: string;
  firstRunningAtMs?: number | undefined;
  permanentFailure: boolean;
  restarts?: number | undefined;
  /** The spec the node ran (or failed to start) under this epoch. */
  specVersion?: string | undefined;
  /** When the node wrote it, by its clock (the document's stamp of the field). */
  writtenAtMs?: number | undefined;
}

export interface ClusterView {
  nodes: ReadonlyMap<string, NodeInfo>;
  workloads: readonly WorkloadInfo[];
  /** By slot key (`<workload key>#<index>`). */
  claims: ReadonlyMap<string, readonly Claim[]>;
  statuses: ReadonlyMap<string, readonly SlotStatus[]>;
}

export const isWinningClaim = (c: Claim): c is Extract<Claim, { winner: string }> => 'winner' in c;

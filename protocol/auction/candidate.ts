import type { Resources } from './resources.js';

/** One node as an auction sees it: what it offers and what it already carries. */
export interface Candidate {
  id: string;
  labels: Readonly<Record<string, string>>;
  capacity: Resources;
  /** Placements on the node plus its live reservations. */
  allocated: Resources;
  hostPortsInUse: ReadonlySet<number>;
  /** Alive, not cordoned, not draining. */
  schedulable: boolean;
  /** Replicas of each workload already on the node, by workload key. */
  replicasByWorkload: ReadonlyMap<string, number>;
  /** Ids (sha256:<hex>) of the images the node says it holds; undefined where unknown, as none. */
  images?: ReadonlySet<string> | undefined;
}

/** What one replica slot needs. */
export interface Demand {
  workload: string;
  resources: Resources;
  hostPorts: readonly number[];
  constraints: readonly Constraint[];
  /** At most this many replicas of the workload on one node. */
  maxPerNode: number | undefined;
  /** Spread replicas evenly over the values of this node label (a zone, a rack). */
  spreadBy: string | undefined;
  /** The image's content id (sha256:<hex>) the replicas run, where the document tells it: holders score higher. */
  image?: string | undefined;
}

export interface Constraint {
  key: string;
  operator: '==' | '!=' | 'in' | 'exists';
  value?: string | undefined;
  values?: readonly string[] | undefined;
}

export type SchedulingPolicy = 'spread' | 'binpack';

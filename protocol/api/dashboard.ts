/**
 * What the dashboard (ui/) receives, every couple of seconds, on its event stream
 * (`GET /ui/stream`, server-sent events named `snapshot`): one node's view of the
 * whole cluster. Plain JSON; the browser code imports only these types.
 */
export interface DashboardSnapshot {
  /** The node that answers, and its clock when it built this. */
  node: string;
  atMs: number;
  clusterId: string;
  nodes: DashboardNode[];
  workloads: DashboardWorkload[];
  /** Workloads whose rollout has not completed. */
  rollouts: DashboardRollout[];
  /** The most recent events this node holds, newest last (at most 50). */
  events: DashboardEvent[];
}

export interface DashboardNode {
  id: string;
  /** SWIM's: alive, suspect, dead, left. */
  state: string;
  labels: Record<string, string>;
  capacity: { cpuMillis: number; memoryBytes: number };
  /** What its replicas use, as it last reported (undefined: no report yet). */
  usage?: { cpuMillis: number; memoryBytes: number; replicas: number };
  admitted: boolean;
}

export interface DashboardWorkload {
  /** `Workload/<namespace>/<name>` (or Job/..., CronJob/...). */
  key: string;
  namespace: string;
  name: string;
  image: string;
  /** Desired replicas (for a global workload, the nodes it runs on). */
  replicas: number;
  slots: DashboardSlot[];
  usage?: { cpuMillis: number; memoryBytes: number };
}

export interface DashboardSlot {
  slot: number;
  node: string | null;
  /** running, starting, exited, scheduling, unschedulable, ... */
  state: string;
  ready: boolean;
  restarts: number;
  usage?: { cpuMillis: number; memoryBytes: number };
}

export interface DashboardRollout {
  workload: string;
  target: string;
  updated: number;
  replicas: number;
  rolledBackFrom: string | null;
}

export interface DashboardEvent {
  atMs: number;
  node: string;
  kind: string;
  object: string;
  message: string;
}

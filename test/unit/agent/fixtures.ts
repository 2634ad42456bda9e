import type { ReplicaStatus } from '../../../protocol/agent/reconcile.js';
import type { DesiredReplica, ObservedReplica, RestartPolicy } from '../../../protocol/agent/replica.js';

export const WORKLOAD = 'Workload/default/web';
export const NODE = 'node-a';

export const desiredReplica = (over: Partial<DesiredReplica> = {}, restartPolicy: RestartPolicy = 'always'): DesiredReplica => ({
  workload: WORKLOAD,
  slot: 0,
  epoch: 1,
  specVersion: 'v1',
  spec: { image: 'nginx:1.27', env: {}, ports: [], restartPolicy, capabilities: [] },
  ...over,
});

export const observedReplica = (id: string, over: Partial<ObservedReplica> = {}): ObservedReplica => ({
  id,
  workload: WORKLOAD,
  slot: 0,
  epoch: 1,
  specVersion: 'v1',
  state: 'running',
  startedAtMs: 1_000,
  hostPorts: [],
  ...over,
});

/** The status a node writes for slot 0 of WORKLOAD running on NODE. */
export const replicaStatus = (over: Partial<ReplicaStatus> = {}): ReplicaStatus => ({
  workload: WORKLOAD,
  slot: 0,
  epoch: 1,
  node: NODE,
  specVersion: 'v1',
  state: 'running',
  restarts: 0,
  hostPorts: [],
  permanentFailure: false,
  ...over,
});

/** Every key of a value that holds undefined, however deep: JSON would drop them silently. */
export function undefinedPaths(value: unknown, path = '$'): string[] {
  if (value === undefined) return [path];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => undefinedPaths(inner, `${path}.${key}`));
}

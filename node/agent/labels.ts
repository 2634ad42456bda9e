import { randomBytes } from 'node:crypto';
import type { DesiredReplica } from '../../protocol/agent/replica.js';
import type { ReplicaOwner } from './runtime.js';

/**
 * How a replica carries its owner and identity: Docker labels on its container (which
 * `list` filters on and reads back), and a readable name shared by both runtimes.
 */
export const LABEL = {
  cluster: 'io.shoal.cluster',
  node: 'io.shoal.node',
  workload: 'io.shoal.workload',
  slot: 'io.shoal.slot',
  epoch: 'io.shoal.epoch',
  specVersion: 'io.shoal.spec-version',
} as const;

export type ReplicaIdentity = Pick<DesiredReplica, 'workload' | 'slot' | 'epoch' | 'specVersion'>;

export function replicaLabels(replica: ReplicaIdentity, owner: ReplicaOwner): Record<string, string> {
  return {
    [LABEL.cluster]: owner.cluster,
    [LABEL.node]: owner.node,
    [LABEL.workload]: replica.workload,
    [LABEL.slot]: String(replica.slot),
    [LABEL.epoch]: String(replica.epoch),
    [LABEL.specVersion]: replica.specVersion,
  };
}

/** The identity in `labels`, or undefined where a label is missing or mangled (someone else's container). */
export function identityFromLabels(labels: Record<string, string>): ReplicaIdentity | undefined {
  const workload = labels[LABEL.workload];
  const specVersion = labels[LABEL.specVersion];
  const slot = Number(labels[LABEL.slot]);
  const epoch = Number(labels[LABEL.epoch]);
  if (workload === undefined || specVersion === undefined || !Number.isInteger(slot) || !Number.isInteger(epoch)) return undefined;
  return { workload, slot, epoch, specVersion };
}

/**
 * A name a person can read in `docker ps` or the replicas directory:
 * `shoal-<cluster first 8>-<workload name>-<slot>-<epoch>-<random 6 hex>`, in Docker's
 * name charset. The random part keeps a replacement from colliding with a replica that
 * is still being removed.
 */
export function instanceName(replica: ReplicaIdentity, owner: ReplicaOwner): string {
  const workloadName = replica.workload.split('/').at(-1) ?? replica.workload;
  const parts = ['shoal', owner.cluster.slice(0, 8), workloadName, replica.slot, replica.epoch, randomBytes(3).toString('hex')];
  return parts.join('-').replace(/[^a-zA-Z0-9_.-]/g, '-');
}

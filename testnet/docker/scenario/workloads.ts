import type { Json } from '../../../crdt/index.js';
import { workloadFields, workloadKey, workloadSchema } from '../../../protocol/manifests/workload.js';
import { BUSYBOX_IMAGE } from '../../images/busybox-image.js';

const NAMESPACE = 'default';

/** A replica that idles on small requests, so a few dozen fit beside five nodes on two cores. */
export function workloadSpec(name: string, replicas: number, partitionPolicy: 'available' | 'majority' = 'available'): Record<string, Json> {
  return workloadFields(
    workloadSchema.parse({
      apiVersion: 'shoal/v1',
      kind: 'Workload',
      metadata: { name },
      spec: { image: BUSYBOX_IMAGE, command: ['sh', '-c', 'while true; do sleep 1; done'], replicas, resources: { cpu: '50m', memory: '8Mi' }, partitionPolicy },
    }),
  );
}

export const keyOf = (name: string): string => workloadKey(NAMESPACE, name);
export const nameOf = (key: string): string => key.split('/')[2] ?? key;

/**
 * The workloads a scenario's clients write, by document key. Scales go only to `scaled`
 * and deletes only to `churned`: a scale stamped after a delete would bring back an
 * object holding nothing but a replica count, a workload no node can start, and the
 * slot check would blame the cluster for the test's own write.
 */
export interface WorkloadPool {
  scaled: string[];
  churned: string[];
}

export function workloadPool(prefix: string, size: number): WorkloadPool {
  const names = (kind: string): string[] => Array.from({ length: size }, (_, i) => keyOf(`${prefix}-${kind}-${i}`));
  return { scaled: names('scaled'), churned: names('churned') };
}

export const poolKeys = (pool: WorkloadPool): string[] => [...pool.scaled, ...pool.churned];

import type { ObjectValue } from '../../crdt/document.js';
import { autoscaleSchema, type AutoscaleSpec } from '../manifests/workload.js';
import { resourcesOf } from '../manifests/container.js';

export interface AutoscalePolicy {
  spec: AutoscaleSpec;
  /** The replica's request, which cpu and memory targets are percent of. */
  requests: { cpuMillis: number; memoryBytes: number };
}

/**
 * A workload's autoscale policy read back from the document through the schema that
 * validated it; undefined where it has none, or a field that schema refuses (a writer
 * past the CLI), which is then not autoscaled rather than guessed at.
 */
export function autoscalePolicyOf(fields: ObjectValue): AutoscalePolicy | undefined {
  if (fields['spec.autoscale'] === undefined || fields['spec.mode'] === 'global') return undefined;
  const parsed = autoscaleSchema.safeParse(fields['spec.autoscale']);
  if (!parsed.success) return undefined;
  const requests = resourcesOf(fields);
  const needsRequest = parsed.data.metrics.some((m) => ('cpu' in m && requests.cpuMillis === 0) || ('memory' in m && requests.memoryBytes === 0));
  return needsRequest ? undefined : { spec: parsed.data, requests };
}

/** The metrics the replicas of a policy must serve themselves, by name: what the usage sampler polls. */
export const customMetricsOf = (spec: AutoscaleSpec): { name: string; port: number; path: string }[] =>
  spec.metrics.flatMap((m) => ('custom' in m ? [{ name: m.custom.name, port: m.custom.port, path: m.custom.path }] : []));

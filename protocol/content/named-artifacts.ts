import type { ClusterDocument } from '../../crdt/index.js';
import { revisionsOf } from '../rollout/revisions.js';

const WORKLOAD_KINDS = ['Workload', 'Job', 'CronJob'];

/**
 * The artifacts the cluster's workloads name: in their specs, and in the revisions kept
 * for a rollback (a replica of an older revision may still run, or run again). What a
 * node's store must keep (artifact-retention.ts), and what `get images` lists.
 */
export function namedArtifacts(document: ClusterDocument): Map<string, string[]> {
  const named = new Map<string, string[]>();
  const add = (artifact: unknown, workload: string): void => {
    if (typeof artifact !== 'string') return;
    const names = named.get(artifact) ?? [];
    if (!names.includes(workload)) names.push(workload);
    named.set(artifact, names);
  };
  for (const kind of WORKLOAD_KINDS) {
    for (const key of document.keys(kind)) {
      add(document.get(key)?.['spec.artifact'], key);
      for (const revision of revisionsOf(document, key)) add(revision.fields['spec.artifact'], key);
    }
  }
  return named;
}

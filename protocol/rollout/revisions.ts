import type { ClusterDocument, Json, ObjectValue } from '../../crdt/index.js';
import { compareStamp } from '../../crdt/stamp.js';
import { parseRolloutFailureField, ROLLOUT_KIND } from '../node-writes.js';
import { CONTAINER_FIELDS, specVersionOf } from '../manifests/container.js';

export const REVISION_KIND = 'Revision';

/**
 * Every spec a workload has run is kept as a Revision object named by its spec version,
 * so slots not yet moved keep running the old one, and a rollback has it. Revisions are
 * ordered by the stamp of their last write: writing an old one again (an undo) makes it
 * the newest, as Kubernetes renumbers a rolled-back ReplicaSet.
 */
export interface Revision {
  /** 1 for the oldest kept. */
  number: number;
  version: string;
  fields: ObjectValue;
  createdAtMs: number;
}

const parts = (workload: string): [string, string] => {
  const [, namespace = '', name = ''] = workload.split('/');
  return [namespace, name];
};

export const revisionKey = (workload: string, version: string): string => `${REVISION_KIND}/${parts(workload)[0]}/${parts(workload)[1]}.${version}`;
export const rolloutKey = (workload: string): string => `${ROLLOUT_KIND}/${parts(workload)[0]}/${parts(workload)[1]}`;

/** The container-shaping fields of a workload: what a Revision object holds. */
export function revisionFields(workloadFields: Readonly<Record<string, Json>>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const field of CONTAINER_FIELDS) if (workloadFields[`spec.${field}`] !== undefined) out[`spec.${field}`] = workloadFields[`spec.${field}`] as Json;
  return out;
}

export function revisionsOf(document: ClusterDocument, workload: string): Revision[] {
  const [namespace, name] = parts(workload);
  const prefix = `${REVISION_KIND}/${namespace}/${name}.`;
  return document
    .keys(REVISION_KIND)
    .filter((key) => key.startsWith(prefix) && /^[0-9a-f]{12}$/.test(key.slice(prefix.length)))
    .map((key) => ({ key, fields: document.get(key) as ObjectValue, stamp: document.lastWrite(key) }))
    .filter((r) => r.stamp !== undefined && specVersionOf(r.fields) === r.key.slice(prefix.length))
    .sort((a, b) => compareStamp(a.stamp!, b.stamp!))
    .map((r, i) => ({ number: i + 1, version: r.key.slice(prefix.length), fields: r.fields, createdAtMs: r.stamp!.hlc.wallMs }));
}

/** Revisions some node saw fail, with the first reason given. */
export function failedRevisions(document: ClusterDocument, workload: string): Map<string, string> {
  const failed = new Map<string, string>();
  for (const [field, value] of Object.entries(document.get(rolloutKey(workload)) ?? {})) {
    const parsed = parseRolloutFailureField(field);
    if (parsed === undefined || failed.has(parsed.specVersion)) continue;
    const reason = value !== null && typeof value === 'object' && !Array.isArray(value) && typeof value.reason === 'string' ? value.reason : 'failed';
    failed.set(parsed.specVersion, `${reason} (on ${parsed.node})`);
  }
  return failed;
}

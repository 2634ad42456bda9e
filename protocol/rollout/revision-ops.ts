import type { Json, Op } from '../../crdt/index.js';
import { parseRolloutFailureField } from '../node-writes.js';
import { specVersionOf } from '../manifests/container.js';
import { revisionFields, revisionKey, rolloutKey } from './revisions.js';

/** What an apply writes an object from: its key, its kind and its fields. */
export interface AppliedObject {
  key: string;
  kind: string;
  fields: Readonly<Record<string, Json>>;
}

/**
 * The spec version an apply makes a new revision of, or undefined: only a Workload has
 * revisions, and only one whose container spec differs from the current object's (or
 * that has none yet) makes one.
 */
export function newRevision(applied: AppliedObject, current: Readonly<Record<string, Json>> | undefined): string | undefined {
  if (applied.kind !== 'Workload') return undefined;
  const version = specVersionOf(applied.fields);
  return current !== undefined && specVersionOf(current) === version ? undefined : version;
}

/**
 * A new container spec is a new revision: written beside the workload, in the same delta,
 * so every node can roll slots over to it one by one and back again. Applying a spec that
 * once failed gives it a fresh chance: its failure marks, among the fields of the
 * workload's Rollout object, are cleared.
 */
export function revisionOps(applied: AppliedObject, current: Readonly<Record<string, Json>> | undefined, rollout: Readonly<Record<string, unknown>> | undefined): Op[] {
  const version = newRevision(applied, current);
  if (version === undefined) return [];
  const ops: Op[] = [{ key: revisionKey(applied.key, version), set: revisionFields(applied.fields) }];
  const marks = Object.keys(rollout ?? {}).filter((f) => parseRolloutFailureField(f)?.specVersion === version);
  if (marks.length > 0) ops.push({ key: rolloutKey(applied.key), set: Object.fromEntries(marks.map((f) => [f, null])) });
  return ops;
}

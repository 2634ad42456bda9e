import type { Json, Op } from '../../crdt/index.js';
import { UserError } from '../../node/errors.js';
import { loadOperatorKey } from '../../node/operator-key.js';
import { ApiClient, writeOps, type ApiTarget } from '../client.js';
import type { Manifest } from '../spec-file.js';
import { loadSpecSource } from '../spec-source.js';
import { rolloutKey } from '../../protocol/rollout/revisions.js';
import { newRevision, revisionOps } from '../../protocol/rollout/revision-ops.js';
import type { ObjectJson } from '../../protocol/api/objects.js';

interface Change {
  manifest: Manifest;
  /** Fields to write: changed or new, and null for fields the manifest no longer has. */
  set: Record<string, Json>;
  created: boolean;
}

function diff(manifest: Manifest, current: ObjectJson | undefined): Change {
  const before = (current?.fields ?? {}) as Record<string, Json>;
  const set: Record<string, Json> = {};
  for (const [field, value] of Object.entries(manifest.fields)) {
    if (JSON.stringify(before[field]) !== JSON.stringify(value)) set[field] = value;
  }
  for (const field of Object.keys(before)) if (!(field in manifest.fields)) set[field] = null;
  return { manifest, set, created: current === undefined };
}

const describe = (change: Change): string => {
  const name = `${change.manifest.kind.toLowerCase()}/${change.manifest.name}`;
  if (Object.keys(change.set).length === 0) return `${name} unchanged`;
  return `${name} ${change.created ? 'created' : 'configured'}`;
};

function printDiff(change: Change, current: ObjectJson | undefined): void {
  console.log(`${describe(change)} (dry run)`);
  // A Secret's diff names its keys only: not even a sealed value is printed.
  const shown = (value: unknown): string => (change.manifest.kind === 'Secret' ? '(sealed)' : JSON.stringify(value));
  for (const [field, value] of Object.entries(change.set)) {
    const old = current?.fields[field];
    if (old !== undefined) console.log(`  - ${field}: ${shown(old)}`);
    if (value !== null) console.log(`  + ${field}: ${shown(value)}`);
  }
}

/** A node seals a Secret's values with the cluster's key; the values go no further than this node's loopback API. */
async function seal(client: ApiClient, key: string, values: Record<string, string>): Promise<Record<string, Json>> {
  const reply = await client.post<{ fields?: Record<string, Json>; detail?: string }>('/v1/secrets/seal', { object: key, values });
  if (reply.status !== 200 || reply.body.fields === undefined) throw new UserError(`the node could not seal ${key}: ${reply.body.detail ?? reply.status}`);
  return reply.body.fields;
}

/** `shoal apply -f FILE|-` (Shoal, Kubernetes or Compose): validates every document first; writes only what differs, as one signed delta. */
export async function apply(opts: { file: string; api: ApiTarget; key: string; dryRun: boolean; strict: boolean }): Promise<void> {
  const { manifests } = loadSpecSource(opts.file, opts.strict);
  const client = new ApiClient(opts.api, opts.key);
  for (const manifest of manifests) if (manifest.secretValues !== undefined) manifest.fields = await seal(client, manifest.key, manifest.secretValues);
  const currents = await Promise.all(manifests.map((m) => client.get<ObjectJson>(`/v1/objects/${m.key}`)));
  const changes = manifests.map((m, i) => diff(m, currents[i]));
  if (opts.dryRun) {
    changes.forEach((c, i) => printDiff(c, currents[i]));
    return;
  }
  const ops: Op[] = changes.filter((c) => Object.keys(c.set).length > 0).map((c) => ({ key: c.manifest.key, set: c.set }));
  for (const [i, change] of changes.entries()) ops.push(...(await fetchRevisionOps(client, change.manifest, currents[i])));
  if (ops.length > 0) await writeOps(client, loadOperatorKey(opts.key), ops);
  changes.forEach((c) => console.log(describe(c)));
}

/**
 * The revision a workload's apply writes, and the failure marks of that spec it clears
 * (protocol/rollout/revision-ops.ts); the workload's Rollout object is fetched only when
 * the apply makes a new revision.
 */
async function fetchRevisionOps(client: ApiClient, manifest: Manifest, current: ObjectJson | undefined): Promise<Op[]> {
  const currentFields = current?.fields as Record<string, Json> | undefined;
  if (newRevision(manifest, currentFields) === undefined) return [];
  const rollout = await client.get<ObjectJson>(`/v1/objects/${rolloutKey(manifest.key)}`);
  return revisionOps(manifest, currentFields, rollout?.fields);
}

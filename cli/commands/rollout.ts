import { printable } from '../printable.js';
import type { Json, Op } from '../../crdt/index.js';
import { parseRolloutFailureField } from '../../protocol/node-writes.js';
import type { ObjectJson } from '../../protocol/api/objects.js';
import type { RolloutJson } from '../../protocol/api/rollout.js';
import { UserError } from '../../node/errors.js';
import { loadOperatorKey } from '../../node/operator-key.js';
import { CONTAINER_FIELDS } from '../../protocol/manifests/container.js';
import { revisionKey, rolloutKey } from '../../protocol/rollout/revisions.js';
import { workloadKey } from '../../protocol/manifests/workload.js';
import { ApiClient, writeOps, type ApiTarget } from '../client.js';
import { table } from '../table.js';

const POLL_MS = 500;

async function fetchRollout(client: ApiClient, namespace: string, name: string): Promise<RolloutJson> {
  const rollout = await client.get<RolloutJson>(`/v1/workloads/${namespace}/${name}/rollout`);
  if (rollout === undefined) throw new UserError(`workload ${namespace}/${name} not found`);
  return rollout;
}

const numberOf = (r: RolloutJson, version: string): string => String(r.revisions.find((v) => v.version === version)?.number ?? '?');

function line(r: RolloutJson): string {
  if (r.rolledBackFrom !== null) {
    const why = r.revisions.find((v) => v.version === r.rolledBackFrom)?.failed ?? 'failed';
    return `revision ${numberOf(r, r.rolledBackFrom)} failed (${why}): rolling back to revision ${numberOf(r, r.target)}: ${r.updated} of ${r.replicas} replicas back and ready`;
  }
  return `revision ${numberOf(r, r.target)}: ${r.updated} of ${r.replicas} updated replicas ready`;
}

const bar = (r: RolloutJson, width = 30): string => {
  const filled = r.replicas === 0 ? width : Math.round((r.updated / r.replicas) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
};

/** `shoal rollout status NAME`: follows the rollout until it completes (exit 0) or rolls back (exit 1). */
export async function rolloutStatus(opts: { name: string; namespace: string; api: ApiTarget; key: string; watch: boolean }): Promise<void> {
  const client = new ApiClient(opts.api, opts.key);
  const tty = process.stdout.isTTY === true;
  let last = '';
  for (;;) {
    const r = await fetchRollout(client, opts.namespace, opts.name);
    const text = line(r);
    if (tty) process.stdout.write(`\r${bar(r)} ${printable(text)}\u001b[K`);
    else if (text !== last) console.log(text);
    last = text;
    if (r.complete || !opts.watch) {
      if (tty) process.stdout.write('\n');
      if (r.complete)
        console.log(
          r.rolledBackFrom === null
            ? `workload ${opts.name} rolled out (revision ${numberOf(r, r.target)})`
            : `workload ${opts.name} rolled back to revision ${numberOf(r, r.target)}`,
        );
      if (r.rolledBackFrom !== null) process.exitCode = 1;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** `shoal rollout history NAME`: every kept revision, oldest first, and why any failed. */
export async function rolloutHistory(opts: { name: string; namespace: string; api: ApiTarget; key: string }): Promise<void> {
  const r = await fetchRollout(new ApiClient(opts.api, opts.key), opts.namespace, opts.name);
  const rows = r.revisions.map((v) => [
    String(v.number),
    v.version,
    new Date(v.createdAtMs).toISOString(),
    v.image,
    v.version === r.target ? (v.version === r.current ? 'current' : 'current (rolled back to)') : v.failed !== null ? `failed: ${v.failed}` : '-',
  ]);
  console.log(table(['REVISION', 'SPEC', 'CREATED', 'IMAGE', 'STATUS'], rows));
}

/** `shoal rollout undo NAME [--to-revision N]`: the workload's spec becomes that revision's again (by default the one before). */
export async function rolloutUndo(opts: { name: string; namespace: string; api: ApiTarget; key: string; toRevision?: string }): Promise<void> {
  const client = new ApiClient(opts.api, opts.key);
  const r = await fetchRollout(client, opts.namespace, opts.name);
  const index = r.revisions.findIndex((v) => v.version === r.current);
  const wanted = opts.toRevision === undefined ? r.revisions[index - 1] : r.revisions.find((v) => String(v.number) === opts.toRevision);
  if (wanted === undefined)
    throw new UserError(
      opts.toRevision === undefined
        ? `workload ${opts.name} has no revision before the current one`
        : `workload ${opts.name} has no revision ${opts.toRevision}: see \`shoal rollout history ${opts.name}\``,
    );
  const key = workloadKey(opts.namespace, opts.name);
  const set: Record<string, Json> = {};
  for (const field of CONTAINER_FIELDS) set[`spec.${field}`] = (wanted.fields[`spec.${field}`] as Json | undefined) ?? null;
  const ops: Op[] = [
    { key, set },
    { key: revisionKey(key, wanted.version), set: wanted.fields as Record<string, Json> },
  ];
  const marks = Object.keys((await client.get<ObjectJson>(`/v1/objects/${rolloutKey(key)}`))?.fields ?? {}).filter(
    (f) => parseRolloutFailureField(f)?.specVersion === wanted.version,
  );
  if (marks.length > 0) ops.push({ key: rolloutKey(key), set: Object.fromEntries(marks.map((f) => [f, null])) });
  await writeOps(client, loadOperatorKey(opts.key), ops);
  console.log(`workload/${opts.name} rolled back to revision ${wanted.number} (${wanted.image})`);
}

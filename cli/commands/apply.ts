import { readFileSync } from 'node:fs';
import type { Json, Op } from '../../crdt/index.js';
import { UserError } from '../../node/errors.js';
import { loadOperatorKey } from '../../node/operator-key.js';
import { ApiClient, writeOps } from '../client.js';
import { loadManifests, type Manifest } from '../spec-file.js';
import type { ObjectJson } from '../../node/api-state.js';

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
  for (const [field, value] of Object.entries(change.set)) {
    const old = current?.fields[field];
    if (old !== undefined) console.log(`  - ${field}: ${JSON.stringify(old)}`);
    if (value !== null) console.log(`  + ${field}: ${JSON.stringify(value)}`);
  }
}

/** `shoal apply -f FILE|-`: validates every document first; writes only what differs, as one signed delta. */
export async function apply(opts: { file: string; api: string; key: string; dryRun: boolean }): Promise<void> {
  const text = opts.file === '-' ? readFileSync(0, 'utf8') : readSource(opts.file);
  const manifests = loadManifests(text, opts.file === '-' ? '<stdin>' : opts.file);
  if (manifests.length === 0) throw new UserError(`${opts.file} holds no objects`);
  const client = new ApiClient(opts.api);
  const currents = await Promise.all(manifests.map((m) => client.get<ObjectJson>(`/v1/objects/${m.key}`)));
  const changes = manifests.map((m, i) => diff(m, currents[i]));
  if (opts.dryRun) {
    changes.forEach((c, i) => printDiff(c, currents[i]));
    return;
  }
  const ops: Op[] = changes.filter((c) => Object.keys(c.set).length > 0).map((c) => ({ key: c.manifest.key, set: c.set }));
  if (ops.length > 0) await writeOps(client, loadOperatorKey(opts.key), ops);
  changes.forEach((c) => console.log(describe(c)));
}

function readSource(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

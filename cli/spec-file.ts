import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { ZodError } from 'zod';
import type { Json } from '../crdt/json.js';
import { UserError } from '../node/errors.js';
import { cronJobFields, cronJobKey, cronJobSchema } from '../protocol/manifests/cron-job.js';
import { jobFields, jobKey, jobSchema } from '../protocol/manifests/job.js';
import { secretKey, secretSchema, secretValues } from '../protocol/manifests/secret.js';
import { serviceFields, serviceKey, serviceSchema } from '../protocol/manifests/service.js';
import { workloadFields, workloadKey, workloadSchema } from '../protocol/manifests/workload.js';

export interface SpecProblem {
  file: string;
  line: number;
  column: number;
  field: string;
  message: string;
}

/** Everything wrong with a manifest, each with its file, line, column and field; nothing was written. */
export class SpecError extends UserError {
  override readonly name = 'SpecError';
  constructor(readonly problems: SpecProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.field ? `${p.field}: ` : ''}${p.message}`).join('\n'));
  }
}

export interface Manifest {
  key: string;
  kind: string;
  namespace: string;
  name: string;
  fields: Record<string, Json>;
  /** A Secret's values (base64), sealed by a node before they become fields. */
  secretValues?: Record<string, string>;
}

const KINDS = ['Workload', 'Job', 'CronJob', 'Secret', 'Service'];

type Parsed = { ok: true; manifest: Manifest } | { ok: false; error: ZodError };

function parseManifest(kind: string, value: unknown): Parsed {
  if (kind === 'Secret') {
    const parsed = secretSchema.safeParse(value);
    if (!parsed.success) return { ok: false, error: parsed.error };
    const { namespace, name } = parsed.data.metadata;
    return { ok: true, manifest: { key: secretKey(namespace, name), kind, namespace, name, fields: {}, secretValues: secretValues(parsed.data) } };
  }
  if (kind === 'Service') {
    const parsed = serviceSchema.safeParse(value);
    if (!parsed.success) return { ok: false, error: parsed.error };
    const { namespace, name } = parsed.data.metadata;
    return { ok: true, manifest: { key: serviceKey(namespace, name), kind, namespace, name, fields: serviceFields(parsed.data) } };
  }
  if (kind === 'CronJob') {
    const parsed = cronJobSchema.safeParse(value);
    if (!parsed.success) return { ok: false, error: parsed.error };
    const { namespace, name } = parsed.data.metadata;
    return { ok: true, manifest: { key: cronJobKey(namespace, name), kind, namespace, name, fields: cronJobFields(parsed.data) } };
  }
  if (kind === 'Job') {
    const parsed = jobSchema.safeParse(value);
    if (!parsed.success) return { ok: false, error: parsed.error };
    const { namespace, name } = parsed.data.metadata;
    return { ok: true, manifest: { key: jobKey(namespace, name), kind, namespace, name, fields: jobFields(parsed.data) } };
  }
  const parsed = workloadSchema.safeParse(value);
  if (!parsed.success) return { ok: false, error: parsed.error };
  const { namespace, name } = parsed.data.metadata;
  return { ok: true, manifest: { key: workloadKey(namespace, name), kind, namespace, name, fields: workloadFields(parsed.data) } };
}

/** The position of the deepest node along `path` that exists in the document. */
function positionOf(doc: Document, path: readonly PropertyKey[], lines: LineCounter): { line: number; col: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lines.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

function zodProblems(error: ZodError, doc: Document, file: string, lines: LineCounter): SpecProblem[] {
  return error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] as string] : issue.path;
    const { line, col } = positionOf(doc, path, lines);
    return { file, line, column: col, field: path.join('.'), message: issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message };
  });
}

/** Parses every YAML document in `text`; throws SpecError listing every problem in all of them. */
export function loadManifests(text: string, file: string): Manifest[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const problems: SpecProblem[] = [];
  const manifests: Manifest[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    for (const error of doc.errors) {
      const { line, col } = lines.linePos(error.pos[0]);
      problems.push({ file, line, column: col, field: '', message: `YAML: ${error.message.split('\n')[0]}` });
    }
    if (doc.errors.length > 0) continue;
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    const kind = (value as { kind?: unknown }).kind;
    if (typeof kind !== 'string' || !KINDS.includes(kind)) {
      const { line, col } = positionOf(doc, ['kind'], lines);
      problems.push({ file, line, column: col, field: 'kind', message: `expected one of ${KINDS.join(', ')}, got ${JSON.stringify(kind ?? null)}` });
      continue;
    }
    const parsed = parseManifest(kind, value);
    if (!parsed.ok) {
      problems.push(...zodProblems(parsed.error, doc, file, lines));
      continue;
    }
    manifests.push(parsed.manifest);
  }
  const keys = manifests.map((m) => m.key);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined) problems.push({ file, line: 1, column: 1, field: 'metadata.name', message: `${twice} appears twice` });
  if (problems.length > 0) throw new SpecError(problems);
  return manifests;
}

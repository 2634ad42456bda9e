import { isMap, isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { ZodError } from 'zod';
import type { Json } from '../crdt/json.js';
import { UserError } from '../node/errors.js';
import { cronJobFields, cronJobKey, cronJobSchema } from '../protocol/manifests/cron-job.js';
import { jobFields, jobKey, jobSchema } from '../protocol/manifests/job.js';
import { secretKey, secretSchema, secretValues } from '../protocol/manifests/secret.js';
import { serviceFields, serviceKey, serviceSchema } from '../protocol/manifests/service.js';
import { workloadFields, workloadKey, workloadSchema } from '../protocol/manifests/workload.js';
import { isComposeDocument, translateCompose, type ComposeContext } from '../protocol/manifests/foreign/compose/index.js';
import { isKubernetesDocument, translateKubernetes } from '../protocol/manifests/foreign/kubernetes/index.js';
import { sourcePathOf, type SourcePath, type Translation } from '../protocol/manifests/foreign/translation.js';

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

/**
 * The position of the deepest node along `path` that exists in the document: its value
 * where the value starts on its key's line (the wrong value itself), else the key (a
 * block below it, whose first line says nothing of the field).
 */
function positionOf(doc: Document, path: readonly PropertyKey[], lines: LineCounter): { line: number; col: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
    const value = node?.range ? lines.linePos(node.range[0]) : undefined;
    const parent = depth === 0 ? undefined : doc.getIn(path.slice(0, depth - 1) as (string | number)[], true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path[depth - 1]));
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      const key = range ? lines.linePos(range[0]) : undefined;
      if (key !== undefined) return value !== undefined && value.line === key.line ? value : key;
    }
    if (value !== undefined) return value;
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

export interface LoadOptions {
  /** What a Compose file interpolates from and reads (env_file, secret files). */
  compose?: ComposeContext;
  /** Warnings are errors: nothing is dropped silently. */
  strict?: boolean;
}

export interface LoadedSpec {
  manifests: Manifest[];
  /** What a translation dropped on purpose. */
  warnings: SpecProblem[];
  /** Every object as a `shoal/v1` manifest, Shoal's own first, then the translated ones: what `shoal convert` prints. */
  documents: Record<string, unknown>[];
}

const NO_COMPOSE: ComposeContext = { env: {}, readFile: () => undefined };

const problemAt = (doc: Document, lines: LineCounter, file: string, path: readonly (string | number)[], message: string): SpecProblem => {
  const { line, col } = positionOf(doc, path, lines);
  return { file, line, column: col, field: path.join('.'), message };
};

/**
 * Parses every YAML document in `text`: Shoal's own manifests, Kubernetes objects and
 * Compose files, the foreign ones translated (protocol/manifests/foreign). Throws
 * SpecError listing every problem in all of them, each at its line.
 */
export function loadSpec(text: string, file: string, options: LoadOptions = {}): LoadedSpec {
  const lines = new LineCounter();
  // Compose files share settings through `<<` merge keys.
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, merge: true });
  const problems: SpecProblem[] = [];
  const warnings: SpecProblem[] = [];
  const entries: { manifest: Manifest; document: Record<string, unknown> }[] = [];
  const kubernetes: { value: unknown; path: SourcePath }[] = [];
  const translated: { translation: Translation; docOf: (path: SourcePath) => { doc: Document; path: SourcePath } }[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  for (const [index, doc] of list.entries()) {
    for (const error of doc.errors) {
      const { line, col } = lines.linePos(error.pos[0]);
      problems.push({ file, line, column: col, field: '', message: `YAML: ${error.message.split('\n')[0]}` });
    }
    if (doc.errors.length > 0) continue;
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    if (isComposeDocument(value)) {
      translated.push({ translation: translateCompose(value, options.compose ?? NO_COMPOSE), docOf: (path) => ({ doc, path }) });
      continue;
    }
    if (isKubernetesDocument(value)) {
      kubernetes.push({ value, path: [index] });
      continue;
    }
    const kind = (value as { kind?: unknown }).kind;
    if (typeof kind !== 'string' || !KINDS.includes(kind)) {
      problems.push(
        problemAt(
          doc,
          lines,
          file,
          ['kind'],
          `expected one of ${KINDS.join(', ')} (apiVersion shoal/v1), a Kubernetes object or a Compose file (services:); got ${JSON.stringify(kind ?? null)}`,
        ),
      );
      continue;
    }
    const parsed = parseManifest(kind, value);
    if (!parsed.ok) {
      problems.push(...zodProblems(parsed.error, doc, file, lines));
      continue;
    }
    entries.push({ manifest: parsed.manifest, document: value as Record<string, unknown> });
  }
  if (kubernetes.length > 0) {
    translated.push({ translation: translateKubernetes(kubernetes), docOf: (path) => ({ doc: list[path[0] as number] as Document, path: path.slice(1) }) });
  }
  for (const { translation, docOf } of translated) {
    for (const diagnostic of translation.diagnostics) {
      const { doc, path } = docOf(diagnostic.path);
      const problem = problemAt(doc, lines, file, path, diagnostic.message);
      if (diagnostic.severity === 'error' || options.strict === true)
        problems.push(options.strict === true && diagnostic.severity === 'warning' ? { ...problem, message: `${problem.message} (--strict)` } : problem);
      else warnings.push(problem);
    }
    for (const object of translation.objects) {
      const parsed = parseManifest(String(object.manifest.kind), object.manifest);
      if (parsed.ok) {
        entries.push({ manifest: parsed.manifest, document: object.manifest });
        continue;
      }
      for (const issue of parsed.error.issues) {
        const { doc, path } = docOf(sourcePathOf(object, issue.path));
        const field = issue.path.join('.');
        problems.push(problemAt(doc, lines, file, path, `${String(object.manifest.kind)} ${field}: ${issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message}`));
      }
    }
  }
  const manifests = entries.map((e) => e.manifest);
  const keys = manifests.map((m) => m.key);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined) problems.push({ file, line: 1, column: 1, field: 'metadata.name', message: `${twice} appears twice` });
  const byPosition = (a: SpecProblem, b: SpecProblem): number => a.line - b.line || a.column - b.column;
  if (problems.length > 0) throw new SpecError(problems.sort(byPosition));
  return { manifests, warnings: warnings.sort(byPosition), documents: entries.map((e) => e.document) };
}

/** Shoal manifests only, warnings unreported: for callers that write their own manifests. */
export const loadManifests = (text: string, file: string): Manifest[] => loadSpec(text, file).manifests;

/** A warning as the CLI prints it. */
export const formatWarning = (p: SpecProblem): string => `${p.file}:${p.line}:${p.column}: warning: ${p.field ? `${p.field}: ` : ''}${p.message}`;

import * as assert from 'uvu/assert';
import { type ComposeContext, translateCompose } from '../../../protocol/manifests/foreign/compose/index.js';
import type { Diagnostic, SourcePath, Translation } from '../../../protocol/manifests/foreign/translation.js';
import { secretSchema } from '../../../protocol/manifests/secret.js';
import { serviceSchema } from '../../../protocol/manifests/service.js';
import { workloadSchema } from '../../../protocol/manifests/workload.js';

export const contextOf = (env: Record<string, string> = {}, files: Record<string, string> = {}): ComposeContext => ({
  env,
  readFile: (path) => (Object.hasOwn(files, path) ? files[path] : undefined),
});

export const translate = (document: unknown, env: Record<string, string> = {}, files: Record<string, string> = {}): Translation =>
  translateCompose(document, contextOf(env, files));

/** A compose file with one service, web, running nginx plus the given fields. */
export const web = (fields: Record<string, unknown>, topLevel: Record<string, unknown> = {}): Record<string, unknown> => ({
  services: { web: { image: 'nginx:1.27', ...fields } },
  ...topLevel,
});

export const errors = (t: Translation): Diagnostic[] => t.diagnostics.filter((d) => d.severity === 'error');
export const warnings = (t: Translation): Diagnostic[] => t.diagnostics.filter((d) => d.severity === 'warning');

const samePath = (a: SourcePath, b: SourcePath): boolean => a.length === b.length && a.every((k, i) => k === b[i]);

/** The one diagnostic of that severity at that path; fails when there is none or several. */
export function diagnosticAt(t: Translation, severity: Diagnostic['severity'], path: SourcePath): Diagnostic {
  const found = t.diagnostics.filter((d) => d.severity === severity && samePath(d.path, path));
  assert.is(found.length, 1, `expected one ${severity} at ${JSON.stringify(path)}, got ${JSON.stringify(t.diagnostics)}`);
  return found[0] as Diagnostic;
}

export function noErrors(t: Translation): void {
  assert.equal(errors(t), [], `unexpected errors: ${JSON.stringify(errors(t))}`);
}

/** The manifest of the object of that kind and name. */
export function manifestOf(t: Translation, kind: string, name: string): Record<string, unknown> {
  const found = t.objects.find((o) => o.manifest.kind === kind && (o.manifest.metadata as { name: string }).name === name);
  assert.ok(found, `no ${kind} ${name} in ${JSON.stringify(t.objects.map((o) => o.manifest))}`);
  return (found as { manifest: Record<string, unknown> }).manifest;
}

/** The workload spec of web, checked against the schema first. */
export function webSpec(t: Translation): Record<string, unknown> {
  const manifest = manifestOf(t, 'Workload', 'web');
  workloadSchema.parse(manifest);
  return manifest.spec as Record<string, unknown>;
}

/** Every object passes the schema of its kind; returns the parsed manifests. */
export function schemaChecked(t: Translation): unknown[] {
  return t.objects.map((o) => {
    const schema = o.manifest.kind === 'Workload' ? workloadSchema : o.manifest.kind === 'Service' ? serviceSchema : secretSchema;
    const parsed = schema.safeParse(o.manifest);
    assert.ok(parsed.success, `${JSON.stringify(o.manifest)}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`);
    return parsed.data;
  });
}

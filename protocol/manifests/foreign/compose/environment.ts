import { checkFields } from '../field-rules.js';
import type { SourcePath } from '../translation.js';
import type { Located, Scope } from './context.js';
import { ENV_NAME, parseEnvFile } from './env-file.js';
import { type InterpolationIssue, interpolateString } from './interpolate.js';
import { composeRules, describe, field, given, isMapping, type Mapping, scalarText } from './values.js';

export interface EnvVar {
  name: string;
  value: string;
}

const NOT_SET = (name: string): string => `${name} is not set: the variable is left out`;
const BAD_NAME = (name: string): string => `${JSON.stringify(name.slice(0, 40))} is not a variable name: letters, digits and _, not starting with a digit`;

interface EnvFileRef {
  file: string;
  required: boolean;
  raw: boolean;
  path: SourcePath;
}

const LONG_FORM = composeRules({ handled: ['path', 'required', 'format'] });

function envFileRefs(value: unknown, path: SourcePath, scope: Scope): EnvFileRef[] {
  if (typeof value === 'string') return [{ file: value, required: true, raw: false, path }];
  if (!Array.isArray(value)) {
    scope.diagnostics.error(path, 'env_file is a file name or a list of them');
    return [];
  }
  return value.flatMap((entry, i): EnvFileRef[] => {
    const at = [...path, i];
    if (typeof entry === 'string') return [{ file: entry, required: true, raw: false, path: at }];
    if (!isMapping(entry)) {
      scope.diagnostics.error(at, `env_file entry ${describe(entry)}: expected a file name or {path, required}`);
      return [];
    }
    checkFields(scope.diagnostics, entry, at, LONG_FORM);
    const file = field(entry, 'path');
    const required = field(entry, 'required');
    const format = field(entry, 'format');
    let ok = true;
    if (typeof file !== 'string') {
      scope.diagnostics.error(given(file) ? [...at, 'path'] : at, 'an env_file entry needs path: the file name');
      ok = false;
    }
    if (given(required) && typeof required !== 'boolean') {
      scope.diagnostics.error([...at, 'required'], 'required is true or false');
      ok = false;
    }
    if (given(format) && format !== 'raw') {
      scope.diagnostics.error([...at, 'format'], `format ${describe(format)}: Shoal reads env files as Compose's default format, or raw`);
      ok = false;
    }
    return ok ? [{ file: file as string, required: required !== false, raw: format === 'raw', path: [...at, 'path'] }] : [];
  });
}

/** One env file's variables, in its order; its problems reported at the env_file entry, by line. */
function envFileVars(ref: EnvFileRef, scope: Scope): Located<EnvVar>[] {
  const text = scope.readFile(ref.file);
  if (text === undefined) {
    if (ref.required) scope.diagnostics.error(ref.path, `cannot read ${ref.file}: the file must be beside the compose file, or marked required: false`);
    return [];
  }
  const { entries, problems } = parseEnvFile(text);
  for (const problem of problems) scope.diagnostics.error(ref.path, `${ref.file} line ${problem.line}: ${problem.message}`);
  const seen = new Map<string, string>();
  // Compose lets a value name a variable set earlier in the same file.
  const lookup = (name: string): string | undefined => seen.get(name) ?? scope.lookup(name);
  const out: Located<EnvVar>[] = [];
  for (const entry of entries) {
    let value = entry.value;
    if (value === undefined) {
      value = scope.lookup(entry.name);
      if (value === undefined) {
        scope.diagnostics.warning(ref.path, `${ref.file} line ${entry.line}: ${NOT_SET(entry.name)}`);
        continue;
      }
    } else if (!ref.raw && entry.quoted !== 'single') {
      const issues: InterpolationIssue[] = [];
      value = interpolateString(value, lookup, issues);
      for (const issue of issues) scope.diagnostics[issue.severity](ref.path, `${ref.file} line ${entry.line}: ${issue.message}`);
    }
    seen.set(entry.name, value);
    out.push({ value: { name: entry.name, value }, path: ref.path });
  }
  return out;
}

/** `environment` as (name, value-or-undefined, path) entries, in its order. */
function environmentEntries(value: unknown, path: SourcePath, scope: Scope): { name: string; value: string | undefined; path: SourcePath }[] {
  if (isMapping(value)) {
    return Object.entries(value).flatMap(([name, v]) => {
      const at = [...path, name];
      const text = v === null ? undefined : scalarText(v);
      if (v !== null && text === undefined) {
        scope.diagnostics.error(at, `the value of ${name} is ${describe(v)}: expected a string, a number, true or false`);
        return [];
      }
      return [{ name, value: text, path: at }];
    });
  }
  if (Array.isArray(value)) {
    return value.flatMap((entry, i) => {
      const at = [...path, i];
      if (typeof entry !== 'string') {
        scope.diagnostics.error(at, `environment entry ${describe(entry)}: expected KEY=VALUE or KEY`);
        return [];
      }
      const equals = entry.indexOf('=');
      return [{ name: equals === -1 ? entry : entry.slice(0, equals), value: equals === -1 ? undefined : entry.slice(equals + 1), path: at }];
    });
  }
  scope.diagnostics.error(path, 'environment is a mapping, or a list of KEY=VALUE');
  return [];
}

/**
 * The container's variables: env_file ones first, then `environment`, which wins; a
 * variable keeps the place it was first given. A bare `KEY` takes the value Compose
 * would pass on from its own environment.
 */
export function environmentOf(service: Mapping, path: SourcePath, scope: Scope): Located<EnvVar>[] {
  const vars = new Map<string, Located<EnvVar>>();
  const envFile = field(service, 'env_file');
  if (given(envFile)) for (const ref of envFileRefs(envFile, [...path, 'env_file'], scope)) for (const v of envFileVars(ref, scope)) vars.set(v.value.name, v);
  const environment = field(service, 'environment');
  if (given(environment)) {
    for (const entry of environmentEntries(environment, [...path, 'environment'], scope)) {
      if (!ENV_NAME.test(entry.name)) {
        scope.diagnostics.error(entry.path, BAD_NAME(entry.name));
        continue;
      }
      const value = entry.value ?? scope.lookup(entry.name);
      if (value === undefined) {
        scope.diagnostics.warning(entry.path, NOT_SET(entry.name));
        continue;
      }
      vars.set(entry.name, { value: { name: entry.name, value }, path: entry.path });
    }
  }
  return [...vars.values()];
}

import type { Diagnostics, SourcePath } from '../translation.js';
import { isMapping, type Mapping } from '../field-rules.js';

/** Readers that report a wrong type at its path and yield undefined, so a translation never throws. */
export function mapping(d: Diagnostics, value: unknown, path: SourcePath): Mapping | undefined {
  if (value === undefined || value === null) return undefined;
  if (isMapping(value)) return value;
  d.error(path, 'expected a mapping');
  return undefined;
}

export function list(d: Diagnostics, value: unknown, path: SourcePath): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  d.error(path, 'expected a list');
  return [];
}

export function string(d: Diagnostics, value: unknown, path: SourcePath): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  d.error(path, 'expected a string');
  return undefined;
}

export function integer(d: Diagnostics, value: unknown, path: SourcePath): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  d.error(path, 'expected a whole number');
  return undefined;
}

export function stringList(d: Diagnostics, value: unknown, path: SourcePath): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  d.error(path, 'expected a list of strings');
  return undefined;
}

/** A mapping of strings (labels, nodeSelector, ConfigMap data). */
export function stringMap(d: Diagnostics, value: unknown, path: SourcePath): Record<string, string> | undefined {
  const m = mapping(d, value, path);
  if (m === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'string') out[k] = v;
    else d.error([...path, k], 'expected a string');
  }
  return out;
}

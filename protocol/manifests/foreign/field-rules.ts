import type { Diagnostics, SourcePath } from './translation.js';

/** A foreign field's fate: undefined when its value is harmless (say `privileged: false`). */
type Verdict = string | ((value: unknown) => string | undefined);

export interface FieldRules {
  /** Fields the translator maps. */
  handled: readonly string[];
  /** Fields dropped on purpose, with why: warnings. */
  dropped?: Readonly<Record<string, Verdict>>;
  /** Fields Shoal cannot honour, with what to do instead: errors. */
  refused?: Readonly<Record<string, Verdict>>;
  /** Keys no rule names and that are skipped silently (Compose's `x-` extensions). */
  ignore?: (key: string) => boolean;
}

export type Mapping = Record<string, unknown>;

export const isMapping = (value: unknown): value is Mapping => value !== null && typeof value === 'object' && !Array.isArray(value);

const verdictOf = (verdict: Verdict | undefined, value: unknown): string | undefined => (typeof verdict === 'function' ? verdict(value) : verdict);

/**
 * Checks every key of a foreign object against the rules: a dropped field is a warning,
 * a refused or unknown one an error, each at its own path. An unknown field is refused
 * rather than ignored: Shoal cannot honour what it does not know.
 */
export function checkFields(diagnostics: Diagnostics, value: Mapping, path: SourcePath, rules: FieldRules): void {
  for (const [key, field] of Object.entries(value)) {
    if (rules.handled.includes(key) || rules.ignore?.(key) === true) continue;
    // Own keys only: a field named `valueOf` or `constructor` is unknown, not a rule.
    const isRefused = rules.refused !== undefined && Object.hasOwn(rules.refused, key);
    const refused = isRefused ? verdictOf(rules.refused?.[key], field) : undefined;
    if (refused !== undefined) {
      diagnostics.error([...path, key], refused);
      continue;
    }
    if (isRefused) continue;
    if (rules.dropped !== undefined && Object.hasOwn(rules.dropped, key)) {
      const dropped = verdictOf(rules.dropped[key], field);
      if (dropped !== undefined) diagnostics.warning([...path, key], dropped);
      continue;
    }
    diagnostics.error([...path, key], 'unknown field: Shoal does not know it, so it cannot honour it');
  }
}

import type { FieldRules, Mapping } from '../field-rules.js';

export { isMapping, type Mapping } from '../field-rules.js';

type Verdicts = NonNullable<FieldRules['dropped']>;
type Verdict = Verdicts[string];

/**
 * A verdict table without a prototype: checkFields asks `key in table`, and a key such as
 * `constructor` would otherwise find Object's own and be taken for a rule.
 */
export const verdicts = (table: Record<string, Verdict>): Verdicts => Object.assign(Object.create(null) as Record<string, Verdict>, table);

export const isExtension = (key: string): boolean => key.startsWith('x-');

/** Rules for one mapping of a compose file: Compose allows `x-` extension keys in any of them. */
export const composeRules = (rules: FieldRules): FieldRules => ({ ignore: isExtension, ...rules });

/** An empty value (`volumes: []`, `cap_drop:`) asks for nothing, so it deserves no diagnostic. */
export const isEmpty = (value: unknown): boolean =>
  value === undefined || value === null || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);

export const unlessEmpty =
  (message: string): Verdict =>
  (value) =>
    isEmpty(value) ? undefined : message;

/** For flags whose `false` is Shoal's own behaviour (`privileged: false`). */
export const unlessFalse =
  (message: string): Verdict =>
  (value) =>
    value === false || value === null || value === undefined ? undefined : message;

export const field = (mapping: Mapping, key: string): unknown => (Object.hasOwn(mapping, key) ? mapping[key] : undefined);

/** Compose treats `key:` with nothing after it as not given. */
export const given = (value: unknown): boolean => value !== undefined && value !== null;

/** A scalar as Compose would pass it on: YAML may have read `8080` or `true` as a number or boolean. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A whole number in range, from a number or its decimal text; undefined otherwise. */
export function wholeNumber(value: unknown, min: number, max: number): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/** Built from entries so that a key such as `__proto__` stays a key. */
export const recordOf = <T>(entries: Iterable<readonly [string, T]>): Record<string, T> => Object.fromEntries(entries) as Record<string, T>;

/** A short account of a value for a message: the value itself when it is a scalar. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value === 'object' ? 'a mapping' : typeof value;
}

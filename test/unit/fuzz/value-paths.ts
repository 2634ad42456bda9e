/** Paths into plain values, and values with one of them replaced: what the fuzzers mutate. */
export type ValuePath = (string | number)[];

/** Every path to a value in `value`, the root's included. */
export function valuePaths(value: unknown, at: ValuePath = [], out: ValuePath[] = []): ValuePath[] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => valuePaths(v, [...at, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) valuePaths(v, [...at, k], out);
  return out;
}

/** The value with what is at `path` replaced (or, for `undefined`, removed); keys such as `__proto__` stay keys. */
export function replacedAt(value: unknown, path: ValuePath, by: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return by;
  // An earlier edit may have replaced a parent: this one no longer applies.
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replacedAt(v, rest, by) : v));
  const entries = Object.entries(value as Record<string, unknown>).filter(([k]) => !(k === head && rest.length === 0 && by === undefined));
  return Object.fromEntries(entries.map(([k, v]) => [k, k === head ? replacedAt(v, rest, by) : v]));
}

/** A JSON value: what a document field holds. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON with object keys sorted, so equal values have equal bytes (and equal hashes). */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as Json)}`).join(',')}}`;
}

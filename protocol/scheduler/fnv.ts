/**
 * FNV-1a with a final mix, not a cryptographic hash: it only spreads load (the collector
 * ring) or breaks ties in the forecast, where an attacker gains nothing, and it is far
 * cheaper than SHA-256 at thousands of calls per tick.
 */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}

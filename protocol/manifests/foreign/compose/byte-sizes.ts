/** Docker's RAMInBytes: the unit letter is binary whatever follows it ("1g", "1GB" and "1GiB" are all 2^30). */
const SIZE = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** A Docker size ("512m", "1g", "100b"; a plain number is bytes) in whole bytes; undefined when malformed. */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 && Number.isSafeInteger(Math.floor(value)) ? Math.floor(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = SIZE.exec(value.trim());
  if (match === null) return undefined;
  const bytes = Math.floor(Number(match[1]) * (UNITS[(match[2] ?? '').toLowerCase()] as number));
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Bytes as Shoal's memory quantity: the exact binary unit a person would write, else the byte count. */
export function memoryQuantity(bytes: number): string | number {
  for (const [unit, size] of [
    ['Ti', 1024 ** 4],
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return bytes;
}

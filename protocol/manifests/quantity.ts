/** Kubernetes-style quantities: CPU as cores or millicores, memory with binary or decimal suffixes. */

const CPU = /^(\d+(?:\.\d{1,3})?)(m?)$/;
const MEMORY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** "0.5", 0.5 and "500m" are all 500 millicores; undefined when malformed. */
export function cpuMillis(value: string | number): number | undefined {
  const match = CPU.exec(String(value));
  if (!match) return undefined;
  const amount = Number(match[1]);
  const millis = match[2] === 'm' ? amount : amount * 1000;
  return Number.isInteger(millis) ? millis : undefined;
}

/** "128Mi" is 134217728 bytes, "1G" is 1e9; undefined when malformed. */
export function memoryBytes(value: string | number): number | undefined {
  const match = MEMORY.exec(String(value));
  if (!match) return undefined;
  const bytes = Number(match[1]) * (MEMORY_UNITS[match[2] ?? ''] as number);
  return Number.isSafeInteger(Math.round(bytes)) ? Math.round(bytes) : undefined;
}

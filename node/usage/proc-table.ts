import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { DEFAULT_PAGE_SIZE, pageSizeFromAuxv, parseProcStat, type ProcStat } from './proc-stat.js';

/**
 * Every process on the host, one read of /proc/<pid>/stat each: one pass serves all of a
 * node's replicas. A process that ends meanwhile is simply missing.
 */
export async function readProcessTable(proc = '/proc'): Promise<ProcStat[]> {
  const pids = (await readdir(proc)).filter((name) => /^\d+$/.test(name));
  const stats = await Promise.all(pids.map((pid) => readFile(`${proc}/${pid}/stat`, 'utf8').then(parseProcStat, () => undefined)));
  return stats.filter((s): s is ProcStat => s !== undefined);
}

let pageSize: number | undefined;

/** This host's page size, read once. */
export function hostPageSize(): number {
  if (pageSize === undefined) {
    try {
      pageSize = pageSizeFromAuxv(readFileSync('/proc/self/auxv')) ?? DEFAULT_PAGE_SIZE;
    } catch {
      pageSize = DEFAULT_PAGE_SIZE;
    }
  }
  return pageSize;
}

import { readdirSync, readFileSync } from 'node:fs';

/**
 * Processes whose command line holds `text`, its arguments joined by spaces with one
 * after the last (so `text` ending in a space matches a whole last argument).
 */
export function processesNaming(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (cmdline(pid).split('\0').join(' ').includes(text)) pids.push(pid);
  }
  return pids;
}

/** Empty for a process that ended while listed. */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

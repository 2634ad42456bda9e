/** One line of /proc/<pid>/stat, the fields usage needs (proc(5)). */
export interface ProcStat {
  pid: number;
  ppid: number;
  /** The session id: every process of a replica shares its wrapper's, as the wrapper started one. */
  session: number;
  /** utime + stime + cutime + cstime, in clock ticks: its own CPU and that of the children it has reaped. */
  cpuTicks: number;
  /** Resident set, in pages. */
  rssPages: number;
}

/**
 * /proc reports CPU in USER_HZ, which is 100 on every Linux architecture Node runs on,
 * whatever the kernel's own tick rate (getconf CLK_TCK); reading it would take a native call.
 */
export const CLOCK_TICKS_PER_SECOND = 100;
export const DEFAULT_PAGE_SIZE = 4096;

/** Undefined for text that is not a stat line (a process that ended as it was read leaves an empty file). */
export function parseProcStat(text: string): ProcStat | undefined {
  // Field 2, the command name, may hold spaces and parentheses: count from its closing one.
  const close = text.lastIndexOf(')');
  const pid = Number.parseInt(text, 10);
  if (close < 0 || !(pid > 0)) return undefined;
  const fields = text.slice(close + 2).split(' ');
  const at = (field: number): number => Number(fields[field - 3]);
  const stat = {
    pid,
    ppid: at(4),
    session: at(6),
    cpuTicks: at(14) + at(15) + at(16) + at(17),
    rssPages: at(24),
  };
  return Object.values(stat).every((n) => Number.isSafeInteger(n) && n >= 0) ? stat : undefined;
}

const AT_NULL = 0n;
const AT_PAGESZ = 6n;

/**
 * The page size from /proc/self/auxv, which Node does not expose: 4 KiB on x86, but
 * 16 or 64 KiB on some ARM kernels. Read as 64-bit little-endian pairs; undefined for
 * anything else, or a value no page size has.
 */
export function pageSizeFromAuxv(auxv: Uint8Array): number | undefined {
  const view = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
  for (let at = 0; at + 16 <= auxv.byteLength; at += 16) {
    const type = view.getBigUint64(at, true);
    if (type === AT_NULL) return undefined;
    if (type !== AT_PAGESZ) continue;
    const size = Number(view.getBigUint64(at + 8, true));
    return size >= 4096 && size <= 1 << 20 && (size & (size - 1)) === 0 ? size : undefined;
  }
  return undefined;
}

export interface TreeUsage {
  cpuNanos: number;
  memoryBytes: number;
}

/**
 * What the processes of the replica whose wrapper is `root` use: the members of its
 * session, and any descendant that left it (setsid). A process that left and was then
 * orphaned is lost, as it is to the runtime's stop. Undefined once the wrapper is gone.
 */
export function treeUsage(table: readonly ProcStat[], root: number, pageSize: number): TreeUsage | undefined {
  const wrapper = table.find((p) => p.pid === root);
  if (wrapper === undefined) return undefined;
  const children = new Map<number, ProcStat[]>();
  for (const p of table) {
    let list = children.get(p.ppid);
    if (list === undefined) children.set(p.ppid, (list = []));
    list.push(p);
  }
  const members = new Map<number, ProcStat>(table.filter((p) => p.session === root).map((p) => [p.pid, p]));
  members.set(root, wrapper);
  const seen = new Set([root]);
  const pending = [root];
  while (pending.length > 0) {
    for (const child of children.get(pending.pop() as number) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      members.set(child.pid, child);
      pending.push(child.pid);
    }
  }
  let ticks = 0;
  let pages = 0;
  for (const p of members.values()) {
    ticks += p.cpuTicks;
    pages += p.rssPages;
  }
  return { cpuNanos: (ticks * 1e9) / CLOCK_TICKS_PER_SECOND, memoryBytes: pages * pageSize };
}

import { closeSync, constants, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UserError } from './errors.js';

/** Where a node keeps its identity, its cluster membership and (later) its state. */
export function defaultDataDir(): string {
  return process.env.SHOAL_DATA_DIR ?? join(homedir(), '.shoal', 'node');
}

export const dataPaths = (dataDir: string) => {
  const root = resolve(dataDir);
  return {
    root,
    identity: join(root, 'identity.key'),
    cluster: join(root, 'cluster.json'),
    runtime: join(root, 'runtime.json'),
    lock: join(root, 'node.lock'),
  };
};

export class DataDirLockedError extends UserError {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`data directory ${dataDir} is in use by another shoal process (pid ${pid})`);
  }
}

/** Field 22 of /proc/<pid>/stat: with the pid, names one process, since pids are reused (in a fresh container, at once). */
function startTimeOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19];
  } catch {
    return undefined;
  }
}

const running = (pid: number, startTime: string | undefined): boolean => {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return startTime === undefined || startTimeOf(pid) === startTime;
};

/** The pid of the other running process that holds the lock file at `path`, if one does. */
export function lockHolder(path: string): number | undefined {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const [pid, startTime] = content.trim().split(' ');
  const owner = Number(pid);
  return Number.isInteger(owner) && owner > 0 && owner !== process.pid && running(owner, startTime) ? owner : undefined;
}

/**
 * One process per lock file. It holds the owner's pid and start time; a lock left by a
 * process that no longer runs (kill -9, power cut, a restarted container whose new
 * processes reuse the old pids) is taken over. Returns the release, or the holder's pid.
 */
export function lockPidFile(path: string): { release: () => void } | { heldBy: number } {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
      writeSync(fd, `${process.pid} ${startTimeOf(process.pid) ?? ''}`.trim());
      closeSync(fd);
      return { release: () => rmSync(path, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = lockHolder(path);
      if (holder !== undefined) return { heldBy: holder };
      rmSync(path, { force: true });
    }
  }
  return { heldBy: -1 };
}

/** One process per data directory. */
export function lockDataDir(dataDir: string): () => void {
  const { root, lock } = dataPaths(dataDir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const locked = lockPidFile(lock);
  if ('heldBy' in locked) throw new DataDirLockedError(root, locked.heldBy);
  return locked.release;
}

export function writeJsonFile(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

export function readJsonFile(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

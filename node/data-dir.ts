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
  constructor(readonly dataDir: string, readonly pid: number) {
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

/**
 * One process per data directory. The lock file holds the owner's pid and start time; a
 * lock left by a process that no longer runs (kill -9, power cut, a restarted container
 * whose new processes reuse the old pids) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const { root, lock } = dataPaths(dataDir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
      writeSync(fd, `${process.pid} ${startTimeOf(process.pid) ?? ''}`.trim());
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const [pid, startTime] = readFileSync(lock, 'utf8').trim().split(' ');
      const owner = Number(pid);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && running(owner, startTime)) {
        throw new DataDirLockedError(root, owner);
      }
      rmSync(lock, { force: true });
    }
  }
  throw new DataDirLockedError(root, -1);
}

export function writeJsonFile(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

export function readJsonFile(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

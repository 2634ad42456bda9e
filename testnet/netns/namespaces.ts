import { ip } from './ip.js';
import { runOf } from './run-names.js';

/** The namespaces that exist now (`ip netns list` prints `name (id: N)`). */
export const namespaces = (): string[] =>
  ip('netns', 'list')
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '');

export function makeNamespace(name: string): void {
  ip('netns', 'add', name);
  ip('-n', name, 'link', 'set', 'lo', 'up');
}

/**
 * Ends the processes still in a namespace (nodes, their replicas, fence keepers: all started
 * by the run that made it), then deletes it, and with it its links and iptables rules. A
 * namespace is freed only once no process holds it.
 */
export function removeNamespace(name: string): void {
  const pids = ip('netns', 'pids', name)
    .split('\n')
    .filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  ip('netns', 'del', name);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes what NAT testnets of crashed runs left: their namespaces, and what ran in them. */
export function reapLeftovers(): string[] {
  const stale = namespaces().filter((name) => {
    const pid = runOf(name);
    return pid !== undefined && pid !== process.pid && !alive(pid);
  });
  for (const name of stale) removeNamespace(name);
  return stale;
}

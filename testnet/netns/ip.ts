import { execFileSync } from 'node:child_process';

/** `ip ARGS`, throwing with its stderr when it fails. */
export const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Runs a command inside a network namespace (`ip netns exec`). */
export const inNamespace = (namespace: string, command: string, ...args: string[]): string => ip('netns', 'exec', namespace, command, ...args);

/** Whether this process may make network namespaces (root, and a kernel that has them): the NAT tests need it. */
export function canMakeNamespaces(): boolean {
  const probe = `shoal-probe-${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every network namespace of a NAT testnet is named after the process that made it,
 * `shoalnat-<pid>-<role>`, so runs side by side never collide, and the leftovers of a run
 * that crashed (its process gone) are known by name. Bridges, veths and iptables rules
 * live inside these namespaces, none in the host's: deleting a run's namespaces removes
 * all of it.
 */
const PREFIX = 'shoalnat';

export const namespaceName = (pid: number, role: string): string => `${PREFIX}-${pid}-${role}`;

/** The pid of the run that made a namespace, or undefined for one not made by a NAT testnet. */
export function runOf(namespace: string): number | undefined {
  const match = new RegExp(`^${PREFIX}-(\\d+)-`).exec(namespace);
  return match === null ? undefined : Number(match[1]);
}

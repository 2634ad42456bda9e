import type { Json } from './json.js';

/**
 * What an operator may do, as RBAC gives it: `admin` everything (operators, nodes,
 * revocations, every namespace); `deployer` the objects of its namespaces (apply, scale,
 * delete, roll out, seal secrets); `viewer` reads only. `exec` (commands in replicas) is
 * a grant of its own, implied by admin.
 */
export const OPERATOR_ROLES = ['admin', 'deployer', 'viewer'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export interface OperatorGrant {
  role: OperatorRole;
  /** The namespaces a deployer may change; absent: every namespace. */
  namespaces?: readonly string[];
  exec: boolean;
}

export const ADMIN: OperatorGrant = { role: 'admin', exec: true };

/** Namespaces as object keys carry them: `Kind/namespace/name`. */
export const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const MAX_NAMESPACES = 64;

/**
 * The grant an Operator object's fields give. An object with no `role`, as every one
 * written before roles existed, grants admin: that is what its operator could do then.
 * Undefined for a malformed one, which grants nothing.
 */
export function grantOf(fields: Readonly<Record<string, Json>>): OperatorGrant | undefined {
  const { role, namespaces, exec } = fields;
  if (role === undefined) return namespaces === undefined && exec === undefined ? ADMIN : undefined;
  if (typeof role !== 'string' || !(OPERATOR_ROLES as readonly string[]).includes(role)) return undefined;
  if (exec !== undefined && typeof exec !== 'boolean') return undefined;
  const grant: OperatorGrant = { role: role as OperatorRole, exec: role === 'admin' || exec === true };
  if (namespaces === undefined) return grant;
  if (role !== 'deployer' || !Array.isArray(namespaces) || namespaces.length === 0 || namespaces.length > MAX_NAMESPACES) return undefined;
  if (!namespaces.every((n) => typeof n === 'string' && NAMESPACE.test(n))) return undefined;
  return { ...grant, namespaces: [...new Set(namespaces as string[])].sort() };
}

/** The Operator object's fields for a grant: what `shoal operator add` writes. */
export const grantFields = (grant: OperatorGrant): Record<string, Json> => ({
  role: grant.role,
  exec: grant.exec,
  ...(grant.namespaces === undefined ? {} : { namespaces: [...grant.namespaces] }),
});

/** The namespace an object key names (`Kind/namespace/name`). */
export const namespaceOf = (key: string): string => key.split('/')[1] ?? '';

/**
 * May an operator with `grant` write the object `key`? Authority objects (operators,
 * nodes, revocations) take an admin; any other object a deployer of its namespace.
 */
export function grantAllowsWrite(grant: OperatorGrant, key: string, isAuthorityKey: boolean): boolean {
  if (grant.role === 'admin') return true;
  return !isAuthorityKey && mayDeployIn(grant, namespaceOf(key));
}

/** May an operator change objects of `namespace` (apply, seal)? An admin anywhere, a deployer in its namespaces. */
export const mayDeployIn = (grant: OperatorGrant, namespace: string): boolean =>
  grant.role === 'admin' || (grant.role === 'deployer' && (grant.namespaces === undefined || grant.namespaces.includes(namespace)));

/** May an operator run commands in replicas of `namespace`? The exec grant, and a deployer's only in its namespaces. */
export const mayExecIn = (grant: OperatorGrant, namespace: string): boolean => grant.exec && (grant.namespaces === undefined || grant.namespaces.includes(namespace));

/** A grant as one line, for errors and `shoal operator list`. */
export const describeGrant = (grant: OperatorGrant): string =>
  `${grant.role}${grant.namespaces === undefined ? '' : ` in ${grant.namespaces.join(', ')}`}${grant.exec && grant.role !== 'admin' ? ' + exec' : ''}`;

import { ADMIN, describeGrant, grantFields, grantOf, NAMESPACE, OPERATOR_ROLES, operatorKey, type OperatorGrant, type OperatorRole } from '../../crdt/index.js';
import type { OperatorJson } from '../../protocol/api/operators.js';
import { OPERATOR_PUBLIC_KEY } from '../../node/cluster.js';
import { UserError } from '../../node/errors.js';
import { loadOperatorKey, loadOrCreateOperatorKey } from '../../node/operator-key.js';
import { authorHeads } from '../author-heads.js';
import { ApiClient, writeOps, type ApiTarget } from '../client.js';
import { table } from '../table.js';
import { removeOperator } from './revoke.js';

const publicKeyArg = (value: string): string => {
  if (!OPERATOR_PUBLIC_KEY.test(value)) throw new UserError(`invalid operator key '${value}': expected 64 hex digits, as \`shoal operator key\` prints`);
  return value;
};

/** `shoal operator key`: this user's public key, to hand to an operator for `operator add`. */
export function showKey(opts: { key: string; create: boolean }): void {
  console.log((opts.create ? loadOrCreateOperatorKey(opts.key) : loadOperatorKey(opts.key)).publicKey);
}

/** The grant `operator add` writes, from its flags; every mistake named, before anything is written. */
export function grantFromFlags(opts: { role: string; namespace: string[]; exec: boolean }): OperatorGrant {
  if (!(OPERATOR_ROLES as readonly string[]).includes(opts.role)) throw new UserError(`invalid --role '${opts.role}': expected one of ${OPERATOR_ROLES.join(', ')}`);
  const role = opts.role as OperatorRole;
  if (opts.namespace.length > 0 && role !== 'deployer') throw new UserError(`--namespace limits a deployer; a${role === 'admin' ? 'n' : ''} ${role} has none`);
  const bad = opts.namespace.find((n) => !NAMESPACE.test(n));
  if (bad !== undefined) throw new UserError(`invalid --namespace '${bad}': lower-case letters, digits and -, at most 63`);
  const grant = grantOf({ role, exec: opts.exec, ...(opts.namespace.length > 0 ? { namespaces: opts.namespace } : {}) });
  if (grant === undefined) throw new UserError('invalid grant');
  return grant;
}

/**
 * `shoal operator add|remove KEY`: the operator set lives in the document, written like
 * any object. Adding a key that is already an operator sets its grant anew, with the
 * key's heads: what it signed after them but stamped before is judged by the new grant,
 * so a demoted admin cannot write as an admin by backdating.
 */
export async function changeOperators(opts: { action: 'add' | 'remove'; publicKey: string; api: ApiTarget; key: string; grant?: OperatorGrant }): Promise<void> {
  const publicKey = publicKeyArg(opts.publicKey);
  if (opts.action === 'remove') {
    await removeOperator({ publicKey, api: opts.api, key: opts.key });
    return;
  }
  const grant = opts.grant ?? ADMIN;
  const client = new ApiClient(opts.api, opts.key);
  const heads = await authorHeads(client, publicKey);
  await writeOps(client, loadOperatorKey(opts.key), [{ key: operatorKey(publicKey), set: { publicKey, ...grantFields(grant), heads } }]);
  console.log(`operator ${publicKey.slice(0, 16)}… added: ${describeGrant(grant)}`);
}

export async function listOperators(opts: { api: ApiTarget; key: string; output: string }): Promise<void> {
  const operators = (await new ApiClient(opts.api, opts.key).get<OperatorJson[]>('/v1/operators')) ?? [];
  if (opts.output === 'json') {
    console.log(JSON.stringify(operators, null, 2));
    return;
  }
  console.log(
    table(
      ['KEY', 'ROLE', 'NAMESPACES', 'EXEC'],
      operators.map((o) => [o.publicKey, o.role, o.namespaces?.join(',') ?? '*', o.exec ? 'yes' : 'no']),
    ),
  );
}

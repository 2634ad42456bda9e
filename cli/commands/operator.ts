import { operatorKey } from '../../crdt/index.js';
import { OPERATOR_PUBLIC_KEY } from '../../node/cluster.js';
import { UserError } from '../../node/errors.js';
import { loadOperatorKey, loadOrCreateOperatorKey } from '../../node/operator-key.js';
import { ApiClient, writeOps } from '../client.js';
import { removeOperator } from './revoke.js';

const publicKeyArg = (value: string): string => {
  if (!OPERATOR_PUBLIC_KEY.test(value)) throw new UserError(`invalid operator key '${value}': expected 64 hex digits, as \`shoal operator key\` prints`);
  return value;
};

/** `shoal operator key`: this user's public key, to hand to an operator for `operator add`. */
export function showKey(opts: { key: string; create: boolean }): void {
  console.log((opts.create ? loadOrCreateOperatorKey(opts.key) : loadOperatorKey(opts.key)).publicKey);
}

/** `shoal operator add|remove KEY`: the operator set lives in the document, written like any object. */
export async function changeOperators(opts: { action: 'add' | 'remove'; publicKey: string; api: string; key: string }): Promise<void> {
  const publicKey = publicKeyArg(opts.publicKey);
  if (opts.action === 'remove') {
    await removeOperator({ publicKey, api: opts.api, key: opts.key });
    return;
  }
  await writeOps(new ApiClient(opts.api), loadOperatorKey(opts.key), [{ key: operatorKey(publicKey), set: { publicKey } }]);
  console.log(`operator ${publicKey.slice(0, 16)}… added`);
}

export async function listOperators(opts: { api: string }): Promise<void> {
  for (const key of (await new ApiClient(opts.api).get<string[]>('/v1/operators')) ?? []) console.log(key);
}

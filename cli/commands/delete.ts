import type { ObjectJson } from '../../protocol/api/objects.js';
import { UserError } from '../../node/errors.js';
import { loadOperatorKey } from '../../node/operator-key.js';
import { ApiClient, writeOps, type ApiTarget } from '../client.js';
import { kindOf } from './get.js';

/** `shoal delete workload NAME`: a signed tombstone. */
export async function remove(opts: { resource: string; name: string; namespace: string; api: ApiTarget; key: string }): Promise<void> {
  const kind = kindOf(opts.resource);
  const key = `${kind}/${opts.namespace}/${opts.name}`;
  const client = new ApiClient(opts.api, opts.key);
  if ((await client.get<ObjectJson>(`/v1/objects/${key}`)) === undefined) throw new UserError(`${kind.toLowerCase()} ${opts.namespace}/${opts.name} not found`);
  await writeOps(client, loadOperatorKey(opts.key), [{ key, delete: true }]);
  console.log(`${kind.toLowerCase()}/${opts.name} deleted`);
}

import type { ObjectJson } from '../../protocol/api/objects.js';
import { UserError } from '../../node/errors.js';
import { loadOperatorKey } from '../../node/operator-key.js';
import { workloadKey } from '../../protocol/manifests/workload.js';
import { ApiClient, writeOps, type ApiTarget } from '../client.js';

/**
 * `shoal scale NAME --replicas N`: one field written, so a concurrent image change
 * elsewhere survives. Scaling down removes the highest slots first, which every node
 * derives alike.
 */
export async function scale(opts: { name: string; namespace: string; replicas: string; key: string; api: ApiTarget }): Promise<void> {
  const replicas = Number(opts.replicas);
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 10_000) throw new UserError(`invalid --replicas '${opts.replicas}': expected a whole number from 0 to 10000`);
  const client = new ApiClient(opts.api, opts.key);
  const key = workloadKey(opts.namespace, opts.name);
  const current = await client.get<ObjectJson>(`/v1/objects/${key}`);
  if (current === undefined) throw new UserError(`workload ${opts.namespace}/${opts.name} not found`);
  if (current.fields['spec.mode'] === 'global')
    throw new UserError(`workload ${opts.namespace}/${opts.name} is global: it runs one replica on every node its constraints allow, so it has no replica count to scale`);
  if (current.fields['spec.autoscale'] !== undefined)
    throw new UserError(
      `workload ${opts.namespace}/${opts.name} autoscales: its count follows its load within spec.autoscale's minReplicas and maxReplicas; change those (shoal apply) to move it`,
    );
  await writeOps(client, loadOperatorKey(opts.key), [{ key, set: { 'spec.replicas': replicas } }]);
  console.log(`workload/${opts.name} scaled to ${replicas}`);
}

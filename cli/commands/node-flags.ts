import type { NodeJson } from '../../protocol/api/nodes.js';
import { UserError } from '../../node/errors.js';
import { loadOperatorKey } from '../../node/operator-key.js';
import { cordonField, drainField, NODE_FLAGS_KEY } from '../../protocol/scheduler/from-document.js';
import { ApiClient, writeOps, type ApiTarget } from '../client.js';

/** A node named by its id or by a suffix only it has, as `shoal nodes` shows ids. */
export async function resolveNode(client: ApiClient, name: string): Promise<string> {
  const members = (await client.get<NodeJson[]>('/v1/nodes')) ?? [];
  const matches = members.filter((m) => m.id === name || m.id.endsWith(name));
  if (matches.length === 1) return (matches[0] as NodeJson).id;
  if (matches.length === 0) throw new UserError(`no node ${name}: see \`shoal nodes\``);
  throw new UserError(`${name} names ${matches.length} nodes: give more of the id`);
}

/** `shoal cordon|uncordon|drain NODE`: an operator's signed write to the cluster's node flags. */
export async function setNodeFlags(opts: { action: 'cordon' | 'uncordon' | 'drain'; node: string; key: string; api: ApiTarget }): Promise<void> {
  const client = new ApiClient(opts.api, opts.key);
  const node = await resolveNode(client, opts.node);
  const set =
    opts.action === 'uncordon'
      ? { [cordonField(node)]: null, [drainField(node)]: null }
      : opts.action === 'cordon'
        ? { [cordonField(node)]: true }
        : { [cordonField(node)]: true, [drainField(node)]: true };
  await writeOps(client, loadOperatorKey(opts.key), [{ key: NODE_FLAGS_KEY, set }]);
  console.log(`node ${node} ${opts.action === 'drain' ? 'drained' : `${opts.action}ed`}`);
}

import type { NodeJson } from '../../protocol/api/nodes.js';
import { UserError } from '../../node/errors.js';
import { ApiClient, type ApiTarget } from '../client.js';
import { table } from '../table.js';

const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1)}Gi`;

export async function nodes(opts: { api: ApiTarget; key: string; output: string }): Promise<void> {
  if (opts.output !== 'table' && opts.output !== 'json') throw new UserError(`invalid -o '${opts.output}': expected table or json`);
  const members = (await new ApiClient(opts.api, opts.key).get<NodeJson[]>('/v1/nodes')) ?? [];
  if (opts.output === 'json') {
    console.log(JSON.stringify(members, null, 2));
    return;
  }
  const rows = members.map((m) => [
    m.id,
    m.state,
    // Older nodes send no reach; null: no connection open to it.
    m.reach ?? '-',
    m.admitted ? 'yes' : 'not yet',
    String(m.incarnation),
    m.addrs[0] ?? '',
    Object.entries(m.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || '-',
    String(m.capacity.cpuMillis / 1000),
    gib(m.capacity.memoryBytes),
    m.version,
    m.lastChange ?? '-',
  ]);
  console.log(table(['ID', 'STATE', 'REACH', 'ADMITTED', 'INCARNATION', 'ADDRESS', 'LABELS', 'CPU', 'MEMORY', 'VERSION', 'LAST CHANGE'], rows));
}

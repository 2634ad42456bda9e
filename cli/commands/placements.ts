import type { PlacementJson } from '../../protocol/api/placements.js';
import { ApiClient, type ApiTarget } from '../client.js';
import { table } from '../table.js';

export const PLACEMENT_HEADERS = ['WORKLOAD', 'SLOT', 'NODE', 'NODE STATE', 'STATE', 'AS OF', 'READY', 'RESTARTS', 'EPOCH', 'PORTS', 'MESSAGE'];

/** Where a state comes from: `now` (the node asked read its own runtime), or the age of another node's report. */
function asOf(p: PlacementJson): string {
  if (p.source === 'runtime') return 'now';
  if (p.reportedAgoMs === null) return '-';
  const s = Math.round(p.reportedAgoMs / 1000);
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

export const placementRows = (placements: readonly PlacementJson[]): string[][] =>
  placements.map((p) => [
    `${p.namespace}/${p.name}`,
    p.workload.startsWith('CronJob/') ? `tick ${new Date(p.slot * 1000).toISOString()}` : String(p.slot),
    p.node ?? '-',
    p.node === null ? '-' : p.nodeState === 'suspect' ? 'unreachable' : p.nodeState,
    p.state,
    asOf(p),
    p.ready ? 'yes' : 'no',
    String(p.restarts),
    p.epoch === null ? '-' : String(p.epoch),
    p.hostPorts.join(',') || '-',
    p.message ?? '',
  ]);

/** `shoal get placements`: every slot of every workload, where it runs and how it is. */
export async function placements(opts: { api: ApiTarget; key: string; output: string; namespace: string; allNamespaces: boolean }): Promise<void> {
  const all = ((await new ApiClient(opts.api, opts.key).get<PlacementJson[]>('/v1/placements')) ?? []).filter((p) => opts.allNamespaces || p.namespace === opts.namespace);
  if (opts.output === 'json') console.log(JSON.stringify(all, null, 2));
  else console.log(table(PLACEMENT_HEADERS, placementRows(all)));
}

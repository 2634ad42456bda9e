import { stringify } from 'yaml';
import type { PlacementJson } from '../../protocol/api/placements.js';
import type { NodeEvent } from '../../protocol/api/events.js';
import { UserError } from '../../node/errors.js';
import { ApiClient, type ApiTarget } from '../client.js';
import { table } from '../table.js';
import { placementRows, PLACEMENT_HEADERS } from './placements.js';

interface WorkloadDetail {
  key: string;
  fields: Record<string, unknown>;
  replicas: number;
  placements: PlacementJson[];
  auctions: { slot: number; auctions: { epoch: number; winner: string | null; score: number | null; bids: number; declines: Record<string, number> }[] }[];
  events: NodeEvent[];
}

const declined = (d: Record<string, number>): string =>
  Object.entries(d)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ') || '-';

/** `shoal describe workload NAME` (or `service NAME`): what kubectl describe shows, from any node. */
export async function describe(opts: { resource: string; name: string; namespace: string; api: ApiTarget; key: string }): Promise<void> {
  if (['service', 'services', 'svc'].includes(opts.resource.toLowerCase())) {
    const { describeService } = await import('./services.js');
    return describeService(opts);
  }
  if (!['workload', 'workloads'].includes(opts.resource.toLowerCase())) throw new UserError(`unknown resource '${opts.resource}': expected workload or service`);
  const detail = await new ApiClient(opts.api, opts.key).get<WorkloadDetail>(`/v1/workloads/${opts.namespace}/${opts.name}`);
  if (detail === undefined) throw new UserError(`workload ${opts.namespace}/${opts.name} not found`);
  const spec = Object.fromEntries(
    Object.entries(detail.fields)
      .filter(([k]) => k.startsWith('spec.'))
      .map(([k, v]) => [k.slice(5), v]),
  );
  const running = detail.placements.filter((p) => p.state === 'running').length;
  console.log(`Name:       ${opts.name}\nNamespace:  ${opts.namespace}\nReplicas:   ${detail.replicas} desired, ${running} running`);
  console.log(`Spec:\n${stringify(spec).replace(/^/gm, '  ').trimEnd()}`);
  console.log(
    `\nSlots:\n${table(
      PLACEMENT_HEADERS.slice(1),
      placementRows(detail.placements).map((r) => r.slice(1)),
    )}`,
  );
  const rows = detail.auctions.flatMap((s) =>
    s.auctions.map((a) => [String(s.slot), String(a.epoch), a.winner ?? 'none (unschedulable)', a.score === null ? '-' : a.score.toFixed(3), String(a.bids), declined(a.declines)]),
  );
  console.log(`\nAuctions:\n${table(['SLOT', 'EPOCH', 'WINNER', 'SCORE', 'BIDS', 'DECLINED'], rows)}`);
  const events = detail.events.map((e) => [new Date(e.atMs).toISOString(), e.kind, e.node.slice(-8), e.message]);
  console.log(`\nEvents (seen by this node):\n${events.length > 0 ? table(['TIME', 'KIND', 'NODE', 'MESSAGE'], events) : '  none'}`);
}

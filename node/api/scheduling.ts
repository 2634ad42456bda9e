import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../base/clock.js';
import type { ApiErrorBody } from '../../protocol/api/errors.js';
import type { PlacementJson } from '../../protocol/api/placements.js';
import { localPlacementState, reportedPlacementState } from '../../protocol/agent/placement-state.js';
import { replicaStatusOf } from '../../protocol/agent/reconcile.js';
import type { ObservedReplica } from '../../protocol/agent/replica.js';
import { slotKey } from '../../protocol/auction/slot.js';
import { slotHistory } from '../../protocol/scheduler/assignment.js';
import { statusKey } from '../../protocol/scheduler/from-document.js';
import { planCluster, type Plan } from '../../protocol/scheduler/plan.js';
import { isWinningClaim, type ClusterView, type WorkloadInfo } from '../../protocol/scheduler/view.js';
import type { EventLog } from '../event-log.js';
import type { ReplicaAccess } from '../replica-access.js';
import type { SchedulerService } from '../scheduler-service.js';
import type { StateService } from '../state-service.js';

const nameOf = (key: string): { namespace: string; name: string } => {
  const [, namespace = '', name = ''] = key.split('/');
  return { namespace, name };
};

/** What the node asked knows first-hand: itself, and what its runtime holds now. */
export interface LocalView {
  node: string;
  replicas: readonly ObservedReplica[];
  nowMs: number;
}

export function placementsJson(state: StateService, view: ClusterView, plan: Plan, local: LocalView, filter?: string): PlacementJson[] {
  const out: PlacementJson[] = [];
  const { document } = state.replica;
  for (const p of plan.placed) {
    if (filter !== undefined && p.workload.key !== filter) continue;
    const node = p.assignment.node;
    const key = statusKey(p.workload.key, p.index);
    const s = replicaStatusOf(document.get(key)?.[node]);
    const current = s !== undefined && s.epoch === p.assignment.epoch ? s : undefined;
    const here = node === local.node;
    const said = here
      ? localPlacementState(
          local.replicas.filter((r) => r.workload === p.workload.key && r.slot === p.index && r.epoch === p.assignment.epoch),
          current,
        )
      : reportedPlacementState(current);
    const writtenAtMs = current === undefined || here ? undefined : document.fieldStamp(key, node)?.hlc.wallMs;
    out.push({
      workload: p.workload.key,
      ...nameOf(p.workload.key),
      slot: p.index,
      epoch: p.assignment.epoch,
      node,
      nodeState: view.nodes.get(node)?.state ?? 'unknown',
      state: said.state,
      source: said.source,
      reportedAgoMs: writtenAtMs === undefined ? null : Math.max(0, local.nowMs - writtenAtMs),
      restarts: current?.restarts ?? 0,
      ready: said.ready,
      version: current?.specVersion ?? null,
      address: said.state === 'running' ? (current?.address ?? null) : null,
      hostPorts: said.state === 'running' ? (current?.hostPorts ?? []) : [],
      message: said.message ?? null,
    });
  }
  const unplaced = [
    ...plan.open.map((o) => ({ workload: o.workload, index: o.index, state: 'scheduling', message: o.because })),
    ...plan.waiting.map((w) => ({
      workload: w.workload,
      index: w.index,
      state: w.decision.reason === 'backoff' ? 'unschedulable' : `waiting (${w.decision.reason})`,
      message: null,
    })),
  ];
  for (const u of unplaced) {
    if (filter !== undefined && u.workload.key !== filter) continue;
    out.push({
      workload: u.workload.key,
      ...nameOf(u.workload.key),
      slot: u.index,
      epoch: null,
      node: null,
      nodeState: 'unknown',
      state: u.state,
      source: null,
      reportedAgoMs: null,
      restarts: 0,
      ready: false,
      version: null,
      address: null,
      hostPorts: [],
      message: u.message,
    });
  }
  return out.sort((a, b) => (a.workload < b.workload ? -1 : a.workload > b.workload ? 1 : a.slot - b.slot));
}

/** The auctions of each slot, from the document: every node can answer "why there, why not there". */
function auctionHistory(view: ClusterView, workload: WorkloadInfo) {
  return Array.from({ length: workload.replicas }, (_, index) => {
    const claims = view.claims.get(slotKey({ workload: workload.key, index })) ?? [];
    const history = slotHistory(claims);
    return {
      slot: index,
      auctions: [...new Set(claims.map((c) => c.epoch))]
        .sort((a, b) => a - b)
        .map((epoch) => {
          const decided = claims.filter((c) => c.epoch === epoch);
          const won = history.assignments.find((a) => a.epoch === epoch);
          const declines = decided[0]?.declines ?? {};
          return { epoch, winner: won?.node ?? null, score: won?.score ?? null, bids: decided.find(isWinningClaim)?.bids ?? 0, declines };
        }),
    };
  });
}

/** The scheduler's view and its last plan; before its first, a plan made from the view as it stands. */
export function viewAndPlan(scheduler: SchedulerService, clock: Clock): { view: ClusterView; plan: Plan } {
  const view = scheduler.view();
  return { view, plan: scheduler.plan ?? planCluster(view, clock.nowMs(), { fenceMs: 0, fenceMarginMs: 0 }) };
}

export function registerSchedulingRoutes(app: FastifyInstance, state: StateService, scheduler: SchedulerService, replicas: ReplicaAccess, events: EventLog, clock: Clock): void {
  const local = async (): Promise<LocalView> => ({ node: replicas.self, replicas: await replicas.local(), nowMs: clock.nowMs() });
  const current = (): { view: ClusterView; plan: Plan } => viewAndPlan(scheduler, clock);

  app.get('/v1/placements', async () => {
    const { view, plan } = current();
    return placementsJson(state, view, plan, await local());
  });

  app.get<{ Params: { namespace: string; name: string } }>('/v1/workloads/:namespace/:name', async (request, reply) => {
    const key = `Workload/${request.params.namespace}/${request.params.name}`;
    const { view, plan } = current();
    const workload = view.workloads.find((w) => w.key === key);
    if (workload === undefined)
      return reply.code(404).send({ error: 'not-found', detail: `workload ${request.params.namespace}/${request.params.name} does not exist` } satisfies ApiErrorBody);
    return {
      key,
      fields: state.replica.document.get(key),
      replicas: workload.replicas,
      placements: placementsJson(state, view, plan, await local(), key),
      auctions: auctionHistory(view, workload),
      events: events.list(key),
    };
  });

  app.get('/v1/events', async () => events.list());

  app.get('/v1/jobs', async () => {
    const { view, plan } = current();
    return [...plan.jobs].map(([key, progress]) => ({ key, ...nameOf(key), completions: view.workloads.find((w) => w.key === key)?.replicas ?? 0, ...progress }));
  });
}

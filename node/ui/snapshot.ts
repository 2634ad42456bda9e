import { rolloutOf } from '../agent/desired.js';
import { placementsJson, viewAndPlan } from '../api/scheduling.js';
import { nodeJson } from '../../protocol/api/nodes.js';
import type { EventFeed } from '../event-feed.js';
import type { ReplicaAccess } from '../replica-access.js';
import type { SchedulerService } from '../scheduler-service.js';
import type { StateService } from '../state-service.js';
import type { SwimService } from '../swim/service.js';
import type { UsageService } from '../usage/usage-service.js';
import { publicKeyOfPeerId } from '../../base/peer-id.js';
import type { Clock } from '../../base/clock.js';
import type { DashboardSnapshot, DashboardWorkload } from '../../protocol/api/dashboard.js';

export interface SnapshotSources {
  clusterId: string;
  swim: SwimService;
  state: StateService;
  scheduler: SchedulerService;
  replicas: ReplicaAccess;
  usage: UsageService;
  feed: EventFeed;
  /** The node's wall clock (node/wall-clock.ts). */
  clock: Clock;
}

/** The events a dashboard shows: the cluster's last ten minutes, as `shoal events` gathers them, newest 50. */
const EVENTS_WINDOW_MS = 10 * 60_000;
const EVENTS_SHOWN = 50;

/** One node's view of the cluster, for the dashboard (protocol/api/dashboard.ts). */
export async function dashboardSnapshot(sources: SnapshotSources): Promise<DashboardSnapshot> {
  const { swim, state, scheduler, usage, clock } = sources;
  const nowMs = clock.nowMs();
  const { view, plan } = viewAndPlan(scheduler, clock);
  const placements = placementsJson(state, view, plan, { node: swim.id, replicas: await sources.replicas.local(), nowMs });
  const usageByNode = new Map(usage.nodes().map((n) => [n.node, n]));
  const usageByWorkload = new Map(usage.workloads().map((w) => [w.workload, w]));
  const workloads = new Map<string, DashboardWorkload>();
  for (const w of view.workloads) {
    const [, namespace = '', name = ''] = w.key.split('/');
    const used = usageByWorkload.get(w.key);
    workloads.set(w.key, {
      key: w.key,
      namespace,
      name,
      image: String(state.replica.document.get(w.key)?.['spec.image'] ?? ''),
      replicas: w.replicas,
      slots: [],
      ...(used === undefined ? {} : { usage: { cpuMillis: used.cpuMillis, memoryBytes: used.memoryBytes } }),
    });
  }
  for (const p of placements) {
    const used = usageByWorkload.get(p.workload)?.replicas.find((r) => r.slot === p.slot && r.node === p.node);
    workloads.get(p.workload)?.slots.push({
      slot: p.slot,
      node: p.node,
      state: p.state,
      ready: p.ready,
      restarts: p.restarts,
      ...(used === undefined ? {} : { usage: { cpuMillis: used.cpuMillis, memoryBytes: used.memoryBytes } }),
    });
  }
  const placed = plan.placed.map((s) => ({ workload: s.workload.key, index: s.index, epoch: s.assignment.epoch, node: s.assignment.node }));
  const rollouts = view.workloads
    .filter((w) => w.key.startsWith('Workload/'))
    .flatMap((w) => {
      const { rollout } = rolloutOf(state.replica.document, w.key, placed);
      const done = rollout.plan.complete && rollout.plan.slots.size === w.replicas;
      return done
        ? []
        : [{ workload: w.key, target: rollout.plan.target, updated: rollout.plan.updated, replicas: w.replicas, rolledBackFrom: rollout.plan.rolledBackFrom ?? null }];
    });
  const { events } = await sources.feed.clusterEvents(nowMs - EVENTS_WINDOW_MS);
  return {
    node: swim.id,
    atMs: nowMs,
    clusterId: sources.clusterId,
    nodes: swim.members().map((m) => {
      const json = nodeJson(m, state.replica.isAdmittedNode(publicKeyOfPeerId(m.record.id) ?? ''));
      const used = usageByNode.get(json.id);
      return {
        id: json.id,
        state: json.state,
        labels: json.labels,
        capacity: json.capacity,
        admitted: json.admitted,
        ...(used === undefined ? {} : { usage: { cpuMillis: used.cpuMillis, memoryBytes: used.memoryBytes, replicas: used.replicas } }),
      };
    }),
    workloads: [...workloads.values()],
    rollouts,
    events: events.slice(-EVENTS_SHOWN),
  };
}

import type { ClusterDocument, Json, ObjectValue } from '../../crdt/index.js';
import { parsePlacementField, PLACEMENT_KIND, placementKey, slotOfObject as slotOfDocumentObject, STATUS_KIND, statusKey } from '../../crdt/node-writes.js';
import type { Constraint } from '../auction/candidate.js';
import { slotKey } from '../auction/slot.js';
import { globalReplicas } from './global-mode.js';
import { autoscaledCount } from '../autoscale/replicas.js';
import { portsOf, resourcesOf } from '../manifests/container.js';
import { cronInfoOf } from '../manifests/cron-job.js';
import { jobInfoOf } from '../manifests/job.js';
import type { Claim, ClusterView, NodeInfo, SlotStatus, WorkloadInfo } from './view.js';

/** Operators cordon and drain nodes through one object: fields `cordon.<node id>` and `drain.<node id>`. */
export const NODE_FLAGS_KEY = 'Nodes/cluster/flags';
export const cordonField = (node: string): string => `cordon.${node}`;
export const drainField = (node: string): string => `drain.${node}`;

const record = (value: Json | undefined): Record<string, Json> | undefined => (value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined);

export function workloadInfo(key: string, fields: ObjectValue): WorkloadInfo {
  const placement = record(fields['spec.placement']) ?? {};
  const constraints = Array.isArray(placement.constraints) ? (placement.constraints as unknown as Constraint[]) : [];
  const replicas = fields['spec.replicas'];
  const job = key.startsWith('Job/') ? jobInfoOf(fields) : undefined;
  const global = job === undefined && key.startsWith('Workload/') && fields['spec.mode'] === 'global';
  const cron = key.startsWith('CronJob/') ? cronInfoOf(fields) : undefined;
  return {
    key,
    job,
    cron,
    global,
    replicas: job !== undefined ? job.completions : typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0 ? replicas : 1,
    demand: {
      workload: key,
      resources: resourcesOf(fields),
      hostPorts: portsOf(fields).flatMap((p) => (p.hostPort === undefined ? [] : [p.hostPort])),
      constraints,
      maxPerNode: global ? 1 : typeof placement.maxPerNode === 'number' ? placement.maxPerNode : undefined,
      spreadBy: typeof placement.spreadBy === 'string' ? placement.spreadBy : undefined,
    },
    policy: placement.strategy === 'binpack' ? 'binpack' : 'spread',
    partitionPolicy: fields['spec.partitionPolicy'] === 'majority' ? 'majority' : 'available',
  };
}

/** The slot a Placement or Status object belongs to; the naming itself is the document's (crdt/node-writes.ts). */
export function slotOfObject(key: string): { slot: string; workload: string; index: number } | undefined {
  const slot = slotOfDocumentObject(key);
  return slot === undefined ? undefined : { slot: slotKey(slot), ...slot };
}

export { placementKey, statusKey };

function claimsOf(fields: ObjectValue): Claim[] {
  return Object.entries(fields).flatMap(([field, value]) => {
    const parsed = parsePlacementField(field);
    const claim = record(value);
    if (parsed === undefined || claim === undefined) return [];
    return [{ ...(claim as unknown as Claim), epoch: parsed.epoch, collector: parsed.node }];
  });
}

function statusesOf(fields: ObjectValue): SlotStatus[] {
  return Object.entries(fields).flatMap(([node, value]) => {
    const s = record(value);
    if (s === undefined || typeof s.epoch !== 'number') return [];
    return [
      {
        node,
        epoch: s.epoch,
        state: String(s.state),
        firstRunningAtMs: typeof s.firstRunningAtMs === 'number' ? s.firstRunningAtMs : undefined,
        permanentFailure: s.permanentFailure === true,
        restarts: typeof s.restarts === 'number' ? s.restarts : 0,
      },
    ];
  });
}

/** The scheduler's view: members from SWIM (flags added from the document), the rest from the document. */
export function clusterView(document: ClusterDocument, members: readonly Omit<NodeInfo, 'cordoned' | 'draining'>[]): ClusterView {
  const flags = document.get(NODE_FLAGS_KEY) ?? {};
  const nodes = new Map<string, NodeInfo>(members.map((m) => [m.id, { ...m, cordoned: flags[cordonField(m.id)] === true, draining: flags[drainField(m.id)] === true }]));
  const workloads = [...document.keys('Workload'), ...document.keys('Job'), ...document.keys('CronJob')].map((key) => {
    const info = workloadInfo(key, document.get(key) as ObjectValue);
    if (info.global) return { ...info, replicas: globalReplicas(info.demand, nodes) };
    const autoscaled = autoscaledCount(document, key, info.replicas);
    return autoscaled === undefined ? info : { ...info, replicas: autoscaled.replicas };
  });
  const claims = new Map<string, Claim[]>();
  for (const key of document.keys(PLACEMENT_KIND)) {
    const slot = slotOfObject(key);
    if (slot !== undefined) claims.set(slot.slot, claimsOf(document.get(key) as ObjectValue));
  }
  const statuses = new Map<string, SlotStatus[]>();
  for (const key of document.keys(STATUS_KIND)) {
    const slot = slotOfObject(key);
    if (slot !== undefined) statuses.set(slot.slot, statusesOf(document.get(key) as ObjectValue));
  }
  return { nodes, workloads, claims, statuses };
}

/**
 * The document holds placements that another node decided or won: this node has been
 * part of a larger cluster, and after a restart it must see a peer before it decides
 * anything. A node that was always alone decides alone again.
 */
export function namesOtherNodes(document: ClusterDocument, self: string): boolean {
  for (const key of document.keys(PLACEMENT_KIND)) {
    for (const claim of claimsOf(document.get(key) as ObjectValue)) {
      if (claim.collector !== self || ('winner' in claim ? claim.winner !== self : claim.liveMembers > 1)) return true;
    }
  }
  return false;
}

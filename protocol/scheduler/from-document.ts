import { z } from 'zod';
import type { ClusterDocument, Json, ObjectValue } from '../../crdt/index.js';
import { parsePlacementField, PLACEMENT_KIND, placementKey, slotOfObject as slotOfDocumentObject, STATUS_KIND, statusKey } from '../node-writes.js';
import type { Constraint } from '../auction/candidate.js';
import { auctionId, slotKey, tiebreak } from '../auction/slot.js';
import { globalReplicas } from './global-mode.js';
import { autoscaledCount } from '../autoscale/replicas.js';
import { portsOf, resourcesOf, specVersionOf } from '../manifests/container.js';
import { constraintSchema, DEFAULT_REPLICAS } from '../manifests/workload.js';
import { cronInfoOf } from '../manifests/cron-job.js';
import { jobInfoOf } from '../manifests/job.js';
import { imageHoldings } from '../images/holders.js';
import { imageResolver } from '../images/image-record.js';
import type { Claim, ClusterView, NodeInfo, SlotStatus, WorkloadInfo } from './view.js';

/** Operators cordon and drain nodes through one object: fields `cordon.<node id>` and `drain.<node id>`. */
export const NODE_FLAGS_KEY = 'Nodes/cluster/flags';
export const cordonField = (node: string): string => `cordon.${node}`;
export const drainField = (node: string): string => `drain.${node}`;

const record = (value: Json | undefined): Record<string, Json> | undefined => (value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined);

/**
 * A constraint no node meets (its label in an empty set), shown in each node's decline
 * as `label constraint shoal/unreadable-constraints in () does not hold`.
 */
export const UNREADABLE_CONSTRAINTS: readonly Constraint[] = [{ key: 'shoal/unreadable-constraints', operator: 'in', values: [] }];

const constraintList = z.array(constraintSchema);

/**
 * The label constraints of a workload's `spec.placement`, read through the schema apply
 * validated them with: none where the workload has no placement or no constraints. A
 * document field is whatever its writer sent, and a workload whose constraints cannot be
 * read (a placement or a list that is not one, or any entry malformed) must not run on a
 * node they might have ruled out: it gets UNREADABLE_CONSTRAINTS, which no node meets, so
 * it stays unschedulable (a global one gets no replica) until a well-formed apply.
 */
export function constraintsOf(placement: Json | undefined): readonly Constraint[] {
  if (placement === undefined) return [];
  const fields = record(placement);
  if (fields === undefined) return UNREADABLE_CONSTRAINTS;
  if (fields.constraints === undefined) return [];
  const parsed = constraintList.safeParse(fields.constraints);
  return parsed.success ? parsed.data : UNREADABLE_CONSTRAINTS;
}

export function workloadInfo(key: string, fields: ObjectValue): WorkloadInfo {
  const placement = record(fields['spec.placement']) ?? {};
  const constraints = constraintsOf(fields['spec.placement']);
  const replicas = fields['spec.replicas'];
  const job = key.startsWith('Job/') ? jobInfoOf(fields) : undefined;
  const global = job === undefined && key.startsWith('Workload/') && fields['spec.mode'] === 'global';
  const cron = key.startsWith('CronJob/') ? cronInfoOf(fields) : undefined;
  return {
    key,
    job,
    cron,
    global,
    replicas: job !== undefined ? job.completions : typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0 ? replicas : DEFAULT_REPLICAS,
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
    specVersion: specVersionOf(fields),
  };
}

/** The slot a Placement or Status object belongs to; the naming itself is the document's (crdt/node-writes.ts). */
export function slotOfObject(key: string): { slot: string; workload: string; index: number } | undefined {
  const slot = slotOfDocumentObject(key);
  return slot === undefined ? undefined : { slot: slotKey(slot), ...slot };
}

export { placementKey, statusKey };

const count = z.number().int().min(0);
const declines = z.record(z.string(), count);

/**
 * A collector's decision as the scheduler writes it (node/scheduler-service.ts): the Claim
 * without its epoch and collector, which the field's name `e<epoch>.<collector>` carries.
 * The tiebreak is a bid's, 32 hex digits (auction/slot.ts, scheduler/codec.ts).
 */
const writtenClaim = z.union([
  z.strictObject({ winner: z.string().min(1), score: z.number().min(0).max(1), tiebreak: z.string().regex(/^[0-9a-f]{32}$/), bids: count, declines }),
  z.strictObject({ unschedulable: z.literal(true), declines, retryAtMs: z.number(), liveMembers: count }),
]);

/**
 * The claim a Placement object's field holds, or undefined: for a field not named
 * `e<epoch>.<collector>`, or a value that is not a decision in full (a document field
 * holds whatever its writer sent), which is skipped as if absent.
 */
export function claimOf(field: string, value: Json | undefined): Claim | undefined {
  const at = parsePlacementField(field);
  if (at === undefined) return undefined;
  const parsed = writtenClaim.safeParse(value);
  return parsed.success ? { ...parsed.data, epoch: at.epoch, collector: at.node } : undefined;
}

/**
 * The claims of one slot's Placement object. A winning claim's score is a bid's (at most
 * 1) and its tiebreak the winner's own for that auction: a node writing a decision
 * naming itself with a better score or a made-up tiebreak would beat every honest claim
 * of its epoch, so such a claim is skipped as malformed.
 */
function claimsOf(fields: ObjectValue, slot: { workload: string; index: number }): Claim[] {
  return Object.entries(fields).flatMap(([field, value]) => {
    const claim = claimOf(field, value);
    if (claim === undefined) return [];
    return 'winner' in claim && claim.tiebreak !== tiebreak(auctionId(slot, claim.epoch), claim.winner) ? [] : [claim];
  });
}

/** `writtenAtMs(node)`: when the node's status field was written, by its clock (the field's stamp). */
function statusesOf(fields: ObjectValue, writtenAtMs: (node: string) => number | undefined): SlotStatus[] {
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
        specVersion: typeof s.specVersion === 'string' ? s.specVersion : undefined,
        writtenAtMs: writtenAtMs(node),
      },
    ];
  });
}

/**
 * The info with its demand naming the content id of its image, where the document
 * resolves `spec.image` to one (a digest, or a tag pushed into its namespace): the
 * auction then prefers nodes that hold it.
 */
function withImage(resolve: ReturnType<typeof imageResolver>, info: WorkloadInfo, fields: ObjectValue): WorkloadInfo {
  const image = fields['spec.image'];
  const id = typeof image === 'string' ? resolve(info.key.split('/')[1] ?? '', image) : undefined;
  return id === undefined ? info : { ...info, demand: { ...info.demand, image: id } };
}

/**
 * What the view reads from each object, kept per object value: the document hands out one
 * frozen value per object until it changes (crdt/document.ts), and every plan reads every
 * workload, placement and status, so each is parsed once rather than at each plan.
 */
const workloadInfos = new WeakMap<object, WorkloadInfo>();
const claimLists = new WeakMap<object, Claim[]>();
const statusLists = new WeakMap<object, SlotStatus[]>();

function once<T>(cache: WeakMap<object, T>, value: object, read: () => T): T {
  let out = cache.get(value);
  if (out === undefined) {
    out = read();
    cache.set(value, out);
  }
  return out;
}

/** The scheduler's view: members from SWIM (flags and held images added from the document), the rest from the document. */
export function clusterView(document: ClusterDocument, members: readonly Omit<NodeInfo, 'cordoned' | 'draining'>[]): ClusterView {
  const flags = document.get(NODE_FLAGS_KEY) ?? {};
  const holdings = imageHoldings(document);
  const resolve = imageResolver(document);
  const nodes = new Map<string, NodeInfo>(
    members.map((m) => [m.id, { ...m, cordoned: flags[cordonField(m.id)] === true, draining: flags[drainField(m.id)] === true, images: holdings.get(m.id) ?? m.images }]),
  );
  const workloads = [...document.keys('Workload'), ...document.keys('Job'), ...document.keys('CronJob')].map((key) => {
    const fields = document.get(key) as ObjectValue;
    const read = once(workloadInfos, fields, () => workloadInfo(key, fields));
    const info = withImage(resolve, read, fields);
    if (info.global) return { ...info, replicas: globalReplicas(info.demand, nodes) };
    const autoscaled = autoscaledCount(document, key, info.replicas);
    return autoscaled === undefined ? info : { ...info, replicas: autoscaled.replicas };
  });
  const claims = new Map<string, Claim[]>();
  for (const key of document.keys(PLACEMENT_KIND)) {
    const slot = slotOfObject(key);
    if (slot === undefined) continue;
    const fields = document.get(key) as ObjectValue;
    claims.set(
      slot.slot,
      once(claimLists, fields, () => claimsOf(fields, slot)),
    );
  }
  const statuses = new Map<string, SlotStatus[]>();
  for (const key of document.keys(STATUS_KIND)) {
    const slot = slotOfObject(key);
    if (slot === undefined) continue;
    const fields = document.get(key) as ObjectValue;
    statuses.set(
      slot.slot,
      once(statusLists, fields, () => statusesOf(fields, (node) => document.fieldStamp(key, node)?.hlc.wallMs)),
    );
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
    const slot = slotOfObject(key);
    if (slot === undefined) continue;
    for (const claim of claimsOf(document.get(key) as ObjectValue, slot)) {
      if (claim.collector !== self || ('winner' in claim ? claim.winner !== self : claim.liveMembers > 1)) return true;
    }
  }
  return false;
}

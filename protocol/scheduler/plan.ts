import { auctionId, slotKey } from '../auction/slot.js';
import { addResources, NO_RESOURCES, type Resources } from '../auction/resources.js';
import { MAX_RUN_MS, ticksBetween } from '../manifests/cron-job.js';
import { slotHistory, type Assignment } from './assignment.js';
import { PerNodeTally } from './per-node-tally.js';
import type { RoomFreed } from './room-freed.js';
import { resolveSlot, schedulableCount, seesMajority, type ReplaceReason, type ResolveConfig, type SlotDecision } from './resolve.js';
import type { Claim, ClusterView, WorkloadInfo } from './view.js';

export interface PlacedSlot {
  workload: WorkloadInfo;
  index: number;
  assignment: Assignment;
  unreachable: boolean;
}

export interface OpenAuction {
  id: string;
  workload: WorkloadInfo;
  index: number;
  epoch: number;
  because: ReplaceReason;
  /** Auctions of this slot in a row that no node could take: the next empty one backs off longer. */
  unschedulableRun: number;
}

export interface JobProgress {
  succeeded: number;
  active: number;
  failures: number;
  state: 'running' | 'complete' | 'failed';
}

export interface Plan {
  placed: PlacedSlot[];
  open: OpenAuction[];
  waiting: { workload: WorkloadInfo; index: number; decision: Extract<SlotDecision, { kind: 'waiting' }> }[];
  hasMajority: boolean;
  jobs: Map<string, JobProgress>;
}

/**
 * How many slots of one workload are auctioned at once. One at a time places each
 * replica knowing where the previous ones went (a perfect spread on small clusters);
 * more at once is faster on large ones, where a node's reservations already steer
 * its later bids elsewhere.
 */
export const openPerWorkload = (schedulable: number): number => Math.max(1, Math.floor(schedulable / 4));

/**
 * Every slot of every workload, resolved: where it runs, which auctions are open, what
 * waits. `majoritySinceMs`: see SlotContext; a plan made outside a scheduler's history
 * (the API's, a test's) takes the majority as long seen, and has no `roomFreed` (its
 * unschedulable slots wait out their back-off).
 */
export function planCluster(view: ClusterView, nowMs: number, config: ResolveConfig, majoritySinceMs = Number.NEGATIVE_INFINITY, roomFreed?: RoomFreed): Plan {
  const hasMajority = seesMajority(view.nodes);
  const limit = openPerWorkload(schedulableCount(view.nodes));
  const plan: Plan = { placed: [], open: [], waiting: [], hasMajority, jobs: new Map() };
  for (const workload of view.workloads) {
    const progress = workload.job === undefined ? undefined : jobProgress(workload, view);
    if (progress !== undefined) plan.jobs.set(workload.key, progress);
    if (progress?.state === 'failed') continue;
    let opened = 0;
    let active = 0;
    const tally = new PerNodeTally(workload.demand.maxPerNode);
    for (const index of slotIndexes(workload, nowMs)) {
      const key = slotKey({ workload: workload.key, index });
      if (workload.job !== undefined && completed(view, key)) continue;
      const history = slotHistory(view.claims.get(key) ?? NO_CLAIMS);
      if (workload.cron !== undefined && (ended(view, key) || (history.assignments.length === 0 && nowMs - index * 1000 > workload.cron.startingDeadlineMs))) continue;
      const decision = resolveSlot({
        history,
        statuses: view.statuses.get(key) ?? [],
        nodes: view.nodes,
        partitionPolicy: workload.partitionPolicy,
        hasMajority,
        majoritySinceMs,
        nowMs,
        config,
        full: tally.full,
        global: workload.global,
        roomFreed: history.unschedulable !== undefined && roomFreed?.since(key, history.maxEpoch) === true,
      });
      if (decision.kind === 'placed') {
        active++;
        tally.hold(decision.assignment.node);
        plan.placed.push({ workload, index, assignment: decision.assignment, unreachable: decision.unreachable });
      } else if (decision.kind === 'waiting') {
        if (decision.reason === 'node-dead') tally.hold(decision.node);
        plan.waiting.push({ workload, index, decision });
      } else if (workload.job !== undefined && active >= workload.job.parallelism) continue;
      else if (opened++ < limit) {
        active++;
        const id = auctionId({ workload: workload.key, index }, decision.epoch);
        plan.open.push({ id, workload, index, epoch: decision.epoch, because: decision.because, unschedulableRun: history.unschedulableRun });
      }
    }
  }
  roomFreed?.end();
  return plan;
}

const NO_CLAIMS: readonly Claim[] = Object.freeze([]);

/** A workload's slots are 0..replicas-1; a CronJob's are its recent ticks, in seconds. */
function slotIndexes(workload: WorkloadInfo, nowMs: number): number[] {
  if (workload.cron === undefined) return Array.from({ length: workload.replicas }, (_, i) => i);
  return ticksBetween(workload.cron.schedule, nowMs - workload.cron.startingDeadlineMs - MAX_RUN_MS, nowMs);
}

/** A tick that ran, well or not, is over: a CronJob runs each tick once. */
const ended = (view: ClusterView, slot: string): boolean => (view.statuses.get(slot) ?? []).some((s) => s.state === 'completed' || s.state === 'failed');

const completed = (view: ClusterView, slot: string): boolean => (view.statuses.get(slot) ?? []).some((s) => s.state === 'completed');

/**
 * A Job's progress from its slots' statuses: an index completes once, for good; each
 * run that failed (a restart, or a node's report of failure) counts against its
 * backoffLimit, and past it the Job stops.
 */
function jobProgress(workload: WorkloadInfo, view: ClusterView): JobProgress {
  let succeeded = 0;
  let failures = 0;
  for (let index = 0; index < workload.replicas; index++) {
    const statuses = view.statuses.get(slotKey({ workload: workload.key, index })) ?? [];
    if (statuses.some((s) => s.state === 'completed')) succeeded++;
    for (const s of statuses) failures += (s.restarts ?? 0) + (s.state === 'failed' ? 1 : 0);
  }
  const limit = workload.job?.backoffLimit ?? 0;
  const state = succeeded === workload.replicas ? 'complete' : failures > limit ? 'failed' : 'running';
  return { succeeded, active: 0, failures, state };
}

/** What the placed slots hold on one node: the auction's view of its load. */
export interface NodeLoad {
  allocated: Resources;
  hostPorts: Set<number>;
  replicasByWorkload: Map<string, number>;
}

export function loadOf(node: string, placed: readonly PlacedSlot[]): NodeLoad {
  const load: NodeLoad = { allocated: NO_RESOURCES, hostPorts: new Set(), replicasByWorkload: new Map() };
  for (const slot of placed) if (slot.assignment.node === node) addReplica(load, slot.workload);
  return load;
}

/** Counts one more replica of the workload on the node. */
export function addReplica(load: NodeLoad, workload: WorkloadInfo): void {
  load.allocated = addResources(load.allocated, workload.demand.resources);
  workload.demand.hostPorts.forEach((p) => load.hostPorts.add(p));
  load.replicasByWorkload.set(workload.key, (load.replicasByWorkload.get(workload.key) ?? 0) + 1);
}

/** How a workload's placed replicas sit over the values of a node label. */
export function replicasByLabelValue(workload: string, label: string, placed: readonly PlacedSlot[], view: ClusterView): Map<string, number> {
  const counts = new Map<string, number>();
  for (const slot of placed) {
    if (slot.workload.key !== workload) continue;
    const value = view.nodes.get(slot.assignment.node)?.labels[label];
    if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

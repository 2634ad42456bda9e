import { z } from 'zod';
import type { Json } from '../../crdt/json.js';
import type { BackoffConfig } from './backoff.js';
import { replicaName, type DesiredReplica, type ObservedReplica, type RestartPolicy } from './replica.js';
import { attemptDue, forgetUndesired, recordAttempt, recordExit, recordFor, recordRestart, recordRunning, type ReplicaRecord, type RestartBook } from './restart-book.js';

/**
 * One node's reconciler: the replicas the document asks this node to run, against what
 * its runtime holds, gives the actions that converge them. The executor runs the actions
 * and reports start failures back through `recordStartFailure`.
 */

export type AgentAction =
  | { kind: 'start'; replica: DesiredReplica }
  | { kind: 'restart'; id: string; replica: DesiredReplica }
  | { kind: 'remove'; id: string; reason: 'orphan' | 'duplicate' | 'spec-changed' };

/** Consecutive start failures after which this node gives the slot back: the image is likely unavailable here. */
export const maxStartFailures = 3;

/** A replica as the node reports it in the cluster document: plain JSON, absent keys omitted. */
export interface ReplicaStatus {
  workload: string;
  slot: number;
  epoch: number;
  node: string;
  specVersion: string;
  /** `stopped`: the node no longer runs the slot (it moved, or was scaled away). */
  state: 'pending' | 'running' | 'backoff' | 'completed' | 'failed' | 'stopped';
  restarts: number;
  exitCode?: number;
  message?: string;
  /** Only while running: where the replica answers. */
  address?: string;
  hostPorts: number[];
  startedAtMs?: number;
  firstRunningAtMs?: number;
  /** Retrying on this node is pointless; the scheduler places the slot elsewhere. */
  permanentFailure: boolean;
  /** Running and its readiness probe (if any) passing; added by the node's prober. */
  ready?: boolean;
  /** The probes' verdicts, where the spec has them. */
  probes?: { liveness?: 'passing' | 'failing'; readiness?: 'passing' | 'failing' };
}

const count = z.number().int().min(0);
const verdict = z.enum(['passing', 'failing']);

/**
 * Every field of ReplicaStatus, in the order a node writes them (statusOf, then the
 * prober's): a status read back from the document then has its keys in that order too,
 * so comparing it with a new one as JSON (status-report.ts) sees no change where there is none.
 */
const replicaStatusShape = {
  workload: z.string(),
  slot: count,
  epoch: count,
  node: z.string(),
  specVersion: z.string(),
  state: z.enum(['pending', 'running', 'backoff', 'completed', 'failed', 'stopped']),
  restarts: count,
  exitCode: z.number().int().optional(),
  message: z.string().optional(),
  address: z.string().optional(),
  hostPorts: z.array(z.number().int().min(0).max(65535)),
  startedAtMs: z.number().optional(),
  firstRunningAtMs: z.number().optional(),
  permanentFailure: z.boolean(),
  ready: z.boolean().optional(),
  probes: z.strictObject({ liveness: verdict.optional(), readiness: verdict.optional() }).optional(),
} satisfies { [K in keyof ReplicaStatus]-?: z.ZodType };

// Strict, as every decoder here: a node that writes more is a new format, which comes with a version.
const replicaStatusSchema: z.ZodType<ReplicaStatus> = z.strictObject(replicaStatusShape);

/**
 * A replica status as a node wrote it into a Status object, or undefined: a document
 * field holds whatever its writer sent, so one that is not a status in full (a missing
 * or mistyped field, a field no status has) reads as no status at all.
 */
export function replicaStatusOf(value: Json | undefined): ReplicaStatus | undefined {
  const parsed = replicaStatusSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export interface ReconcileInput {
  desired: readonly DesiredReplica[];
  observed: readonly ObservedReplica[];
  book: RestartBook;
  nowMs: number;
  backoff: BackoffConfig;
  /** This node's peer id, written into each status. */
  node: string;
  /** Observed replicas whose readiness passes: a surging update keeps the old one until the new is among them. */
  ready?: ReadonlySet<string>;
}

export interface ReconcileResult {
  /** Removals first, so the ports and memory they free are there for the starts that follow. */
  actions: AgentAction[];
  book: RestartBook;
  statuses: ReplicaStatus[];
}

interface Step {
  actions: AgentAction[];
  record: ReplicaRecord;
  state: ReplicaStatus['state'];
}

/** An action with the replica it concerns, for ordering: a removal's action names only a runtime id. */
interface Planned {
  name: string;
  action: AgentAction;
}

export function reconcile(input: ReconcileInput): ReconcileResult {
  const desired = onePerSlot(input.desired);
  const observedByName = groupByName(input.observed);
  const planned: Planned[] = [];
  const statuses: ReplicaStatus[] = [];
  const records: [string, ReplicaRecord][] = [];
  for (const replica of desired) {
    const name = replicaName(replica);
    const found = (observedByName.get(name) ?? []).filter((o) => o.epoch === replica.epoch);
    const { keeper, removals } = sortOut(replica, found, input.ready ?? new Set());
    const record = recordFor(input.book, replica);
    const step = keeper === undefined ? absentStep(replica, record, input) : observedStep(replica, keeper, record, input);
    planned.push(...[...removals, ...step.actions].map((action) => ({ name, action })));
    statuses.push(statusOf(replica, keeper, step, input.node));
    records.push([name, step.record]);
  }
  const placed = new Set(desired.map((d) => `${replicaName(d)}@${d.epoch}`));
  for (const o of input.observed) {
    const name = replicaName(o);
    if (!placed.has(`${name}@${o.epoch}`)) planned.push({ name, action: { kind: 'remove', id: o.id, reason: 'orphan' } });
  }
  const book = forgetUndesired({ ...input.book, ...Object.fromEntries(records) }, desired, input.nowMs, input.backoff);
  return { actions: planned.sort(plannedOrder).map((p) => p.action), book, statuses };
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The document holds one placement per slot, but a caller reading it mid-merge may pass
 * two; the later epoch wins, as a re-placement supersedes the one before it. Sorted by name.
 */
function onePerSlot(desired: readonly DesiredReplica[]): DesiredReplica[] {
  const supersedes = (d: DesiredReplica, held: DesiredReplica): boolean => (d.epoch - held.epoch || compareText(d.specVersion, held.specVersion)) > 0;
  const byName = new Map<string, DesiredReplica>();
  for (const d of desired) {
    const held = byName.get(replicaName(d));
    if (held === undefined || supersedes(d, held)) byName.set(replicaName(d), d);
  }
  return [...byName.values()].sort((a, b) => compareText(replicaName(a), replicaName(b)));
}

function groupByName(observed: readonly ObservedReplica[]): Map<string, ObservedReplica[]> {
  const groups = new Map<string, ObservedReplica[]>();
  for (const o of observed) {
    const group = groups.get(replicaName(o));
    if (group === undefined) groups.set(replicaName(o), [o]);
    else group.push(o);
  }
  return groups;
}

const stateRank: Record<ObservedReplica['state'], number> = { running: 0, created: 1, exited: 2 };

/** Which of several copies to keep: running over not, then the one started first, then by id. */
const keeperOrder = (a: ObservedReplica, b: ObservedReplica): number =>
  stateRank[a.state] - stateRank[b.state] || (a.startedAtMs ?? Infinity) - (b.startedAtMs ?? Infinity) || compareText(a.id, b.id);

/** The copies of this placement: one to keep, others of the same spec as duplicates, older specs as replaced. */
function sortOut(replica: DesiredReplica, found: readonly ObservedReplica[], ready: ReadonlySet<string>): { keeper?: ObservedReplica; removals: AgentAction[] } {
  const current = found.filter((o) => o.specVersion === replica.specVersion).sort(keeperOrder);
  const surging = replica.surge === true && !(current[0] !== undefined && ready.has(current[0].id));
  const stale = surging ? [] : found.filter((o) => o.specVersion !== replica.specVersion);
  const removals: AgentAction[] = [
    ...stale.map((o): AgentAction => ({ kind: 'remove', id: o.id, reason: 'spec-changed' })),
    ...current.slice(1).map((o): AgentAction => ({ kind: 'remove', id: o.id, reason: 'duplicate' })),
  ];
  return current[0] === undefined ? { removals } : { keeper: current[0], removals };
}

/** Nothing runs for this placement: start it, unless a failed start is still backing off. */
function absentStep(replica: DesiredReplica, record: ReplicaRecord, input: ReconcileInput): Step {
  if (!attemptDue(record, input.nowMs)) return { actions: [], record, state: 'backoff' };
  return { actions: [{ kind: 'start', replica }], record: recordAttempt(record), state: 'pending' };
}

function observedStep(replica: DesiredReplica, keeper: ObservedReplica, record: ReplicaRecord, input: ReconcileInput): Step {
  const { nowMs, backoff } = input;
  if (keeper.state === 'running') return { actions: [], record: recordRunning(record, keeper, nowMs, backoff), state: 'running' };
  if (keeper.state === 'created') {
    if (!attemptDue(record, nowMs)) return { actions: [], record, state: 'backoff' };
    return { actions: [{ kind: 'restart', id: keeper.id, replica }], record: recordAttempt(record), state: 'pending' };
  }
  // An unknown exit code counts as a failure: a replica nobody can vouch for is not done.
  const failed = keeper.exitCode !== 0;
  if (!restartsAfter(replica.spec.restartPolicy, failed)) return { actions: [], record, state: failed ? 'failed' : 'completed' };
  const waiting = recordExit(record, keeper, nowMs, backoff);
  if (!attemptDue(waiting, nowMs)) return { actions: [], record: waiting, state: 'backoff' };
  return { actions: [{ kind: 'restart', id: keeper.id, replica }], record: recordRestart(waiting), state: 'pending' };
}

const restartsAfter = (policy: RestartPolicy, failed: boolean): boolean => policy === 'always' || (policy === 'on-failure' && failed);

function statusOf(replica: DesiredReplica, keeper: ObservedReplica | undefined, step: Step, node: string): ReplicaStatus {
  const { record, state } = step;
  const exited = keeper?.state === 'exited';
  const exitCode = exited ? keeper.exitCode : undefined;
  const message = record.lastError ?? (exited ? `exited with code ${exitCode ?? 'unknown'}` : undefined);
  const address = keeper?.state === 'running' ? keeper.address : undefined;
  return {
    workload: replica.workload,
    slot: replica.slot,
    epoch: replica.epoch,
    node,
    specVersion: replica.specVersion,
    state,
    restarts: record.restarts,
    ...(exitCode === undefined ? {} : { exitCode }),
    ...(message === undefined ? {} : { message }),
    ...(address === undefined ? {} : { address }),
    hostPorts: [...(keeper?.hostPorts ?? [])],
    ...(keeper?.startedAtMs === undefined ? {} : { startedAtMs: keeper.startedAtMs }),
    ...(record.firstRunningAtMs === null ? {} : { firstRunningAtMs: record.firstRunningAtMs }),
    permanentFailure: record.startFailures >= maxStartFailures || state === 'failed',
  };
}

/** Removals before starts; then by replica name and id, whatever order the inputs came in. */
function plannedOrder(a: Planned, b: Planned): number {
  const removalFirst = Number(a.action.kind !== 'remove') - Number(b.action.kind !== 'remove');
  const idOf = (action: AgentAction): string => (action.kind === 'start' ? '' : action.id);
  return removalFirst || compareText(a.name, b.name) || compareText(idOf(a.action), idOf(b.action));
}

import { restartDelayMs, type BackoffConfig } from './backoff.js';
import { replicaName, type DesiredReplica, type ObservedReplica } from './replica.js';

/**
 * What the agent remembers about one replica from one reconcile pass to the next. Plain
 * JSON (absent is null, never undefined), so the node can persist it with its state.
 */
export interface ReplicaRecord {
  readonly epoch: number;
  /** The spec the counts below were earned by: a new spec starts them over. */
  readonly specVersion: string;
  readonly restarts: number;
  /** No start or restart before this moment; null when nothing is waiting. */
  readonly nextAttemptAtMs: number | null;
  /** Starts of this placement that failed since the replica was last seen running: three give the slot back. */
  readonly startFailures: number;
  /**
   * Starts of this slot's spec that failed on this node since it last ran here, whatever
   * the epoch: what the wait before the next one grows by. A slot given back after its
   * failures may be placed here again at once (a node alone, or the only one that fits);
   * its new epoch must not start the back-off over, or a start that keeps failing is
   * tried and reported every second or two for as long as that goes on.
   */
  readonly failedStartsHere: number;
  readonly lastError: string | null;
  /**
   * When this placement's replica was first seen running. It survives restarts and spec
   * changes, and only a new epoch clears it: after a partition heals, the replica that
   * ran longest is the one kept.
   */
  readonly firstRunningAtMs: number | null;
}

/** Records by `replicaName`. */
export type RestartBook = Readonly<Record<string, ReplicaRecord>>;

export const emptyBook: RestartBook = {};

const fresh = (replica: DesiredReplica): ReplicaRecord => ({
  epoch: replica.epoch,
  specVersion: replica.specVersion,
  restarts: 0,
  nextAttemptAtMs: null,
  startFailures: 0,
  failedStartsHere: 0,
  lastError: null,
  firstRunningAtMs: null,
});

/**
 * The record that applies to this desired replica. A new epoch is a new placement and
 * starts from nothing, but for the back-off of a spec that failed to start here (the
 * wait, its count and its reason); a new spec keeps the placement's first run but drops
 * failures that belonged to the old spec (the new one may be the fix).
 */
export function recordFor(book: RestartBook, replica: DesiredReplica): ReplicaRecord {
  const name = replicaName(replica);
  const prior = Object.hasOwn(book, name) ? book[name] : undefined;
  if (prior === undefined) return fresh(replica);
  if (prior.specVersion !== replica.specVersion) return { ...fresh(replica), firstRunningAtMs: prior.epoch === replica.epoch ? prior.firstRunningAtMs : null };
  if (prior.epoch !== replica.epoch) {
    const { failedStartsHere, nextAttemptAtMs, lastError } = prior;
    return failedStartsHere === 0 ? fresh(replica) : { ...fresh(replica), failedStartsHere, nextAttemptAtMs, lastError };
  }
  return prior;
}

/**
 * The executor could not start (or restart) the replica: the next attempt backs off, 1,
 * 2, 4, ... times the initial wait, counted over every epoch of the spec on this node.
 */
export function recordStartFailure(book: RestartBook, replica: DesiredReplica, message: string, nowMs: number, backoff: BackoffConfig): RestartBook {
  const record = recordFor(book, replica);
  const failedStartsHere = record.failedStartsHere + 1;
  const nextAttemptAtMs = nowMs + restartDelayMs(failedStartsHere - 1, backoff);
  return { ...book, [replicaName(replica)]: { ...record, startFailures: record.startFailures + 1, failedStartsHere, lastError: message, nextAttemptAtMs } };
}

/**
 * Drops the records of replicas this node no longer runs, so the book stays as small as
 * the node's share. A slot whose starts failed here is remembered a while longer (its
 * wait and the longest wait after it): given back, it may come back in a moment.
 */
export function forgetUndesired(book: RestartBook, desired: readonly DesiredReplica[], nowMs: number, backoff: BackoffConfig): RestartBook {
  const kept = new Set(desired.map(replicaName));
  const backingOff = (r: ReplicaRecord): boolean => r.failedStartsHere > 0 && r.nextAttemptAtMs !== null && nowMs < r.nextAttemptAtMs + backoff.maxMs;
  return Object.fromEntries(Object.entries(book).filter(([name, record]) => kept.has(name) || backingOff(record)));
}

/**
 * Seen running: failures are over, nothing waits, and the first run is fixed once. A
 * replica up for `resetAfterMs` has earned a fresh count.
 */
export function recordRunning(record: ReplicaRecord, observed: Pick<ObservedReplica, 'startedAtMs'>, nowMs: number, backoff: BackoffConfig): ReplicaRecord {
  const upMs = observed.startedAtMs === undefined ? 0 : nowMs - observed.startedAtMs;
  return {
    ...record,
    restarts: upMs >= backoff.resetAfterMs ? 0 : record.restarts,
    nextAttemptAtMs: null,
    startFailures: 0,
    failedStartsHere: 0,
    lastError: null,
    firstRunningAtMs: record.firstRunningAtMs ?? observed.startedAtMs ?? nowMs,
  };
}

/**
 * Seen exited, to be restarted: the wait runs from the exit and is set once per exit,
 * however many passes see it. A run of `resetAfterMs` or more clears the count first.
 */
export function recordExit(record: ReplicaRecord, observed: Pick<ObservedReplica, 'startedAtMs' | 'finishedAtMs'>, nowMs: number, backoff: BackoffConfig): ReplicaRecord {
  const { startedAtMs, finishedAtMs } = observed;
  const ranMs = startedAtMs === undefined || finishedAtMs === undefined ? 0 : finishedAtMs - startedAtMs;
  const restarts = ranMs >= backoff.resetAfterMs ? 0 : record.restarts;
  if (record.nextAttemptAtMs !== null) return { ...record, restarts };
  return { ...record, restarts, nextAttemptAtMs: (finishedAtMs ?? nowMs) + restartDelayMs(restarts, backoff) };
}

/** True when no back-off holds the next start or restart. */
export const attemptDue = (record: ReplicaRecord, nowMs: number): boolean => record.nextAttemptAtMs === null || record.nextAttemptAtMs <= nowMs;

/** A first start goes out (or a created replica is started): the wait is spent, the count unchanged. */
export const recordAttempt = (record: ReplicaRecord): ReplicaRecord => ({ ...record, nextAttemptAtMs: null });

/** An exited replica is restarted: the wait is spent and the count grows. */
export const recordRestart = (record: ReplicaRecord): ReplicaRecord => ({
  ...record,
  restarts: record.restarts + 1,
  nextAttemptAtMs: null,
});

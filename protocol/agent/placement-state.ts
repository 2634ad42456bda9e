import type { ReplicaStatus } from './reconcile.js';
import type { ObservedReplica } from './replica.js';

/** A slot's state as a node answers for it: what its runtime says for its own, what a report says for another's. */
export interface PlacementState {
  state: string;
  ready: boolean;
  message: string | undefined;
  /** `runtime`: read from this node's runtime now; `report`: the status its node last wrote. */
  source: 'runtime' | 'report';
}

/** A replica's end as the status tells it stays true after the runtime has let go of the replica. */
const ENDED = new Set<ReplicaStatus['state']>(['completed', 'failed', 'stopped']);

/**
 * The state of a slot placed on this very node: its runtime is asked, since a status is
 * written only on the agent's next pass and says `running` for a while after the
 * process has gone (issue 20, item 5). The status, if it is of this epoch, still gives
 * readiness (the prober's verdict) and how a replica ended.
 */
export function localPlacementState(observed: readonly ObservedReplica[], status: ReplicaStatus | undefined): PlacementState {
  const replica = observed.find((o) => o.state === 'running') ?? observed[0];
  if (replica === undefined) {
    if (status !== undefined && ENDED.has(status.state)) return { state: status.state, ready: false, message: status.message, source: 'runtime' };
    return { state: 'not running', ready: false, message: 'the runtime holds no replica of this slot', source: 'runtime' };
  }
  if (replica.state === 'created') return { state: 'pending', ready: false, message: 'created, not started yet', source: 'runtime' };
  if (replica.state === 'exited') {
    const ended = status !== undefined && status.state !== 'running' ? status.state : 'exited';
    return { state: ended, ready: false, message: status?.message ?? `exited with code ${replica.exitCode ?? 'unknown'}`, source: 'runtime' };
  }
  return { state: 'running', ready: status?.state === 'running' && status.ready === true, message: status?.message, source: 'runtime' };
}

/** The state of a slot on another node: the status it last wrote (`pending` until it writes one). */
export function reportedPlacementState(status: ReplicaStatus | undefined): PlacementState {
  return { state: status?.state ?? 'pending', ready: status?.ready ?? false, message: status?.message, source: 'report' };
}

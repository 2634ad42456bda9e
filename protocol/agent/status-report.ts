import { statusKey } from '../scheduler/from-document.js';
import type { ReplicaStatus } from './reconcile.js';
import { replicaName } from './replica.js';

/** A status that says how a replica ended stays: a Job's completions and failures are counted from them. */
const FINAL_STATES = new Set<ReplicaStatus['state']>(['stopped', 'completed', 'failed']);

/**
 * The statuses a node writes after a pass, by Status object key: each of its replicas'
 * statuses that differs from what it last wrote, and "stopped" for a slot it wrote a
 * status for and no longer runs (unless that status already said how it ended), which
 * keeps whether the placement failed for good. Only changes are written, so an idle
 * node writes nothing.
 */
export function statusChanges(
  written: ReadonlyMap<string, ReplicaStatus>,
  statuses: readonly ReplicaStatus[],
  desired: readonly { workload: string; slot: number }[],
): Map<string, ReplicaStatus> {
  const next = new Map<string, ReplicaStatus>();
  for (const s of statuses) next.set(statusKey(s.workload, s.slot), s);
  const kept = new Set(desired.map(replicaName));
  for (const [key, previous] of written) {
    if (next.has(key) || kept.has(replicaName({ workload: previous.workload, slot: previous.slot })) || FINAL_STATES.has(previous.state)) continue;
    // A placement that failed for good stays failed once stopped: the scheduler gives the
    // slot back and this node declines it on that evidence. Cleared, the slot looked placed
    // here again, the agent took it up, failed it again and stopped it again: a status
    // written back and forth every pass, thousands a minute for one unstartable workload.
    const { firstRunningAtMs: _ranSince, address: _address, ...rest } = previous;
    next.set(key, { ...rest, state: 'stopped', hostPorts: [] });
  }
  const changed = new Map<string, ReplicaStatus>();
  for (const [key, status] of next) {
    // As the document will hold it: JSON drops fields that are undefined.
    const clean = JSON.parse(JSON.stringify(status)) as ReplicaStatus;
    if (JSON.stringify(written.get(key)) !== JSON.stringify(clean)) changed.set(key, clean);
  }
  return changed;
}

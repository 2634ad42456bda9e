import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { MajorityLease } from '../../protocol/agent/majority-fence.js';
import { bootId } from '../lease-clock.js';

/** The lease as the node hands it to its fence keeper: a file in the data directory, which outlives the node's process. */
const fenceRecord = z.object({
  /** On the host's monotonic clock (node/lease-clock.ts) of the boot `bootId` names. */
  seenMajorityAtMs: z.number(),
  bootId: z.string(),
  fenceMs: z.number().positive(),
  /** SIGTERM to SIGKILL when the keeper removes a replica. */
  graceMs: z.number().nonnegative(),
  runtime: z.enum(['docker', 'process']),
  /** Where the process runtime keeps its replicas. */
  replicasDir: z.string(),
  replicas: z.array(z.string()),
});

export type FenceRecord = z.infer<typeof fenceRecord> & MajorityLease;

/**
 * v2: times on the monotonic clock. A keeper of an earlier version, still running across
 * an upgrade, keeps reading the old file, whose lease runs out as if the node had died:
 * it removes the replicas that file names, then exits, and the node starts them again.
 */
const fenceRecordPath = (dataRoot: string): string => join(dataRoot, 'majority-lease.v2.json');
export const fenceKeeperLockPath = (dataRoot: string): string => join(dataRoot, 'fence-keeper.lock');

/** Written whole and renamed into place, so the keeper never reads half a record. */
export function writeFenceRecord(dataRoot: string, record: FenceRecord): void {
  const path = fenceRecordPath(dataRoot);
  writeFileSync(`${path}.tmp`, JSON.stringify(record), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/**
 * Undefined when there is none, or it cannot be read. A record from an earlier boot, whose
 * clock has restarted since, holds a lease that has run out: no sighting of that boot counts.
 */
export function readFenceRecord(dataRoot: string): FenceRecord | undefined {
  try {
    const parsed = fenceRecord.safeParse(JSON.parse(readFileSync(fenceRecordPath(dataRoot), 'utf8')));
    if (!parsed.success) return undefined;
    return parsed.data.bootId === bootId() ? parsed.data : { ...parsed.data, seenMajorityAtMs: Number.NEGATIVE_INFINITY };
  } catch {
    return undefined;
  }
}

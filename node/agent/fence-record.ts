import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { MajorityLease } from '../../protocol/agent/majority-fence.js';

/** The lease as the node hands it to its fence keeper: a file in the data directory, which outlives the node's process. */
const fenceRecord = z.object({
  seenMajorityAtMs: z.number(),
  fenceMs: z.number().positive(),
  /** SIGTERM to SIGKILL when the keeper removes a replica. */
  graceMs: z.number().nonnegative(),
  runtime: z.enum(['docker', 'process']),
  /** Where the process runtime keeps its replicas. */
  replicasDir: z.string(),
  replicas: z.array(z.string()),
});

export type FenceRecord = z.infer<typeof fenceRecord> & MajorityLease;

const fenceRecordPath = (dataRoot: string): string => join(dataRoot, 'majority-lease.json');
export const fenceKeeperLockPath = (dataRoot: string): string => join(dataRoot, 'fence-keeper.lock');

/** Written whole and renamed into place, so the keeper never reads half a record. */
export function writeFenceRecord(dataRoot: string, record: FenceRecord): void {
  const path = fenceRecordPath(dataRoot);
  writeFileSync(`${path}.tmp`, JSON.stringify(record), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** Undefined when there is none, or it cannot be read. */
export function readFenceRecord(dataRoot: string): FenceRecord | undefined {
  try {
    const parsed = fenceRecord.safeParse(JSON.parse(readFileSync(fenceRecordPath(dataRoot), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

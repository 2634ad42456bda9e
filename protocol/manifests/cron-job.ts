import { Cron } from 'croner';
import { z } from 'zod';
import { manifestFields } from './fields.js';
import type { Json } from '../../crdt/json.js';
import { jobSpec } from './job.js';
import { workloadSchema } from './workload.js';
import { requireImageOrArtifact } from './image-or-artifact.js';

/**
 * A CronJob runs its container once per tick of a cron schedule (UTC; a sixth, leading
 * field gives seconds). Each tick is a slot of the CronJob, numbered by its time in
 * seconds, and is auctioned like any slot: in a connected cluster exactly one node runs
 * it. A tick not started within `startingDeadlineSeconds` is skipped.
 */
const validSchedule = (schedule: string): boolean => {
  try {
    new Cron(schedule, { timezone: 'UTC', paused: true });
    return true;
  } catch {
    return false;
  }
};

export const cronJobSchema = z
  .strictObject({
    apiVersion: z.literal('shoal/v1'),
    kind: z.literal('CronJob'),
    metadata: workloadSchema.shape.metadata,
    spec: jobSpec.omit({ completions: true, parallelism: true }).extend({
      schedule: z.string().min(1).max(200).refine(validSchedule, 'not a cron schedule, such as "*/5 * * * *"'),
      startingDeadlineSeconds: z.number().int().min(1).max(86_400).default(60),
    }),
  })
  .superRefine(({ spec }, ctx) => requireImageOrArtifact(spec, ctx));

export type CronJob = z.infer<typeof cronJobSchema>;

export const cronJobKey = (namespace: string, name: string): string => `CronJob/${namespace}/${name}`;

export const cronJobFields = (manifest: CronJob): Record<string, Json> => manifestFields(manifest);

export interface CronInfo {
  schedule: string;
  startingDeadlineMs: number;
}

export function cronInfoOf(fields: Readonly<Record<string, Json>>): CronInfo | undefined {
  const schedule = fields['spec.schedule'];
  if (typeof schedule !== 'string' || !validSchedule(schedule)) return undefined;
  const deadline = fields['spec.startingDeadlineSeconds'];
  return { schedule, startingDeadlineMs: (typeof deadline === 'number' ? deadline : 60) * 1000 };
}

/** A run longer than this after its tick is no longer tracked; a longer one is stopped. */
export const MAX_RUN_MS = 3_600_000;

const HOUR_MS = 3_600_000;
const BUCKETS_KEPT = 256;
/** Ticks by schedule and hour: every plan asks for the last hour's ticks, and croner takes a while to list them. */
const buckets = new Map<string, number[]>();

function ticksOfHour(schedule: string, hour: number): number[] {
  const key = `${hour} ${schedule}`;
  let ticks = buckets.get(key);
  if (ticks === undefined) {
    const cron = new Cron(schedule, { timezone: 'UTC', paused: true });
    ticks = [];
    for (let next = cron.nextRun(new Date(hour * HOUR_MS - 1)); next !== null && next.getTime() < (hour + 1) * HOUR_MS; next = cron.nextRun(next))
      ticks.push(Math.round(next.getTime() / 1000));
    if (buckets.size >= BUCKETS_KEPT) buckets.delete(buckets.keys().next().value as string);
    buckets.set(key, ticks);
  }
  return ticks;
}

/** The ticks, in seconds since the epoch, from `fromMs` (exclusive) to `toMs` (inclusive). */
export function ticksBetween(schedule: string, fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let hour = Math.floor(fromMs / HOUR_MS); hour <= Math.floor(toMs / HOUR_MS); hour++) {
    for (const tick of ticksOfHour(schedule, hour)) if (tick * 1000 > fromMs && tick * 1000 <= toMs) out.push(tick);
  }
  return out;
}

import { z } from 'zod';
import { manifestFields } from './fields.js';
import type { Json } from '../../crdt/json.js';
import { workloadSchema } from './workload.js';
import { requireImageOrArtifact } from './image-or-artifact.js';

/**
 * A Job runs its container to completion `completions` times, at most `parallelism` at
 * once, each completion index a slot auctioned like a workload's; it gives up after
 * `backoffLimit` failures. Its container fields are a workload's.
 */
const container = workloadSchema.shape.spec.omit({ replicas: true, rollout: true, livenessProbe: true, readinessProbe: true, restartPolicy: true, autoscale: true });

export const jobSpec = container.extend({
  completions: z.number().int().min(1).max(10_000).default(1),
  parallelism: z.number().int().min(1).max(10_000).default(1),
  backoffLimit: z.number().int().min(0).max(1_000).default(6),
  restartPolicy: z.enum(['on-failure', 'never']).default('never'),
});

export const jobSchema = z
  .strictObject({
    apiVersion: z.literal('shoal/v1'),
    kind: z.literal('Job'),
    metadata: workloadSchema.shape.metadata,
    spec: jobSpec,
  })
  .superRefine(({ spec }, ctx) => requireImageOrArtifact(spec, ctx));

export type Job = z.infer<typeof jobSchema>;

export const jobKey = (namespace: string, jobName: string): string => `Job/${namespace}/${jobName}`;

export const jobFields = (manifest: Job): Record<string, Json> => manifestFields(manifest);

export interface JobInfo {
  completions: number;
  parallelism: number;
  backoffLimit: number;
}

export function jobInfoOf(fields: Readonly<Record<string, Json>>): JobInfo {
  const count = (field: string, fallback: number, min: number): number => {
    const v = fields[`spec.${field}`];
    return typeof v === 'number' && Number.isInteger(v) && v >= min ? v : fallback;
  };
  return { completions: count('completions', 1, 1), parallelism: count('parallelism', 1, 1), backoffLimit: count('backoffLimit', 6, 0) };
}

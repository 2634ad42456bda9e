import type { z } from 'zod';

/**
 * What a replica runs: an image, or an artifact (the process runtime runs its command in
 * a copy of it, and needs no image). A spec with neither runs nothing anywhere, so it is
 * refused at `spec.image`. A spec with both may run on either runtime; one with an
 * artifact alone runs on process nodes only, as a Docker node refuses an artifact.
 */
export function requireImageOrArtifact(spec: { image?: string | undefined; artifact?: string | undefined }, ctx: z.RefinementCtx): void {
  if (spec.image !== undefined || spec.artifact !== undefined) return;
  ctx.addIssue({ code: 'custom', path: ['spec', 'image'], message: 'a replica runs an image, or an artifact on the process runtime: give spec.image, spec.artifact or both' });
}

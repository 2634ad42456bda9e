import { checkFields, type Mapping } from '../field-rules.js';
import { ManifestBuilder } from '../manifest-builder.js';
import type { SourcePath, TranslatedObject } from '../translation.js';
import type { KubeContext } from './context.js';
import type { Metadata } from './metadata.js';
import { translatePodSpec } from './pod-spec.js';
import { integer, mapping, string, stringMap } from './values.js';

const RESTART = { OnFailure: 'on-failure', Never: 'never' } as const;

/** The fields of a Job's spec that a CronJob's jobTemplate shares. */
function translateJobSpec(ctx: KubeContext, b: ManifestBuilder, spec: Mapping, at: SourcePath, namespace: string, counts: boolean): void {
  const d = ctx.diagnostics;
  checkFields(d, spec, at, {
    handled: ['template', 'backoffLimit', 'completionMode', ...(counts ? ['completions', 'parallelism'] : [])],
    dropped: {
      ttlSecondsAfterFinished: 'Shoal keeps a finished Job until it is deleted',
      selector: 'a Shoal Job owns its runs',
      manualSelector: 'a Shoal Job owns its runs',
      podReplacementPolicy: 'Shoal replaces a failed run once it has stopped',
    },
    refused: {
      ...(counts
        ? {}
        : {
            completions: (v: unknown) => (v === 1 ? undefined : 'a Shoal CronJob runs one container per tick'),
            parallelism: (v: unknown) => (v === 1 ? undefined : 'a Shoal CronJob runs one container per tick'),
          }),
      activeDeadlineSeconds: 'Shoal has no Job deadline: let the program time itself out',
      suspend: (v) => (v === true ? 'Shoal has no suspended Jobs: apply the Job when it should run' : undefined),
      podFailurePolicy: 'Shoal counts every failed run against backoffLimit',
      backoffLimitPerIndex: 'Shoal counts failures for the whole Job: use backoffLimit',
      maxFailedIndexes: 'Shoal counts failures for the whole Job: use backoffLimit',
      successPolicy: 'a Shoal Job succeeds when every index has succeeded once',
    },
  });
  if (counts) {
    for (const field of ['completions', 'parallelism'] as const) {
      const n = integer(d, spec[field], [...at, field]);
      if (n !== undefined) b.set(`spec.${field}`, n, [...at, field]);
    }
  }
  const backoff = integer(d, spec.backoffLimit, [...at, 'backoffLimit']);
  if (backoff !== undefined) b.set('spec.backoffLimit', backoff, [...at, 'backoffLimit']);
  const template = mapping(d, spec.template, [...at, 'template']);
  if (template === undefined) {
    d.error(at, 'a Job needs a pod template');
    return;
  }
  checkFields(d, template, [...at, 'template'], { handled: ['metadata', 'spec'] });
  const templateMetadata = mapping(d, template.metadata, [...at, 'template', 'metadata']) ?? {};
  checkFields(d, templateMetadata, [...at, 'template', 'metadata'], {
    handled: ['labels'],
    dropped: { annotations: 'Shoal keeps no annotations', name: 'a run is named by Shoal' },
  });
  const labels = stringMap(d, templateMetadata.labels, [...at, 'template', 'metadata', 'labels']) ?? {};
  const pod = mapping(d, template.spec, [...at, 'template', 'spec']);
  if (pod === undefined) {
    d.error([...at, 'template'], 'a pod template needs a spec');
    return;
  }
  const policy = translatePodSpec(ctx, b, pod, [...at, 'template', 'spec'], namespace, labels, { probes: false });
  const restart = policy === 'OnFailure' || policy === 'Never' ? RESTART[policy] : undefined;
  if (restart === undefined) d.error([...at, 'template', 'spec', 'restartPolicy'], 'a Job restarts OnFailure or Never');
  else b.set('spec.restartPolicy', restart, [...at, 'template', 'spec', 'restartPolicy']);
}

export function translateJob(ctx: KubeContext, object: Mapping, path: SourcePath, metadata: Metadata): TranslatedObject | undefined {
  const spec = mapping(ctx.diagnostics, object.spec, [...path, 'spec']) ?? {};
  const b = new ManifestBuilder('Job', { name: metadata.name, namespace: metadata.namespace, ...(metadata.labels === undefined ? {} : { labels: metadata.labels }) }, path);
  translateJobSpec(ctx, b, spec, [...path, 'spec'], metadata.namespace, true);
  return b.build();
}

/** A CronJob runs one container per tick of its schedule, in UTC. */
export function translateCronJob(ctx: KubeContext, object: Mapping, path: SourcePath, metadata: Metadata): TranslatedObject | undefined {
  const d = ctx.diagnostics;
  const at = [...path, 'spec'];
  const spec = mapping(d, object.spec, at) ?? {};
  checkFields(d, spec, at, {
    handled: ['schedule', 'jobTemplate', 'startingDeadlineSeconds', 'concurrencyPolicy'],
    dropped: {
      successfulJobsHistoryLimit: 'Shoal keeps the status of the last hour of ticks',
      failedJobsHistoryLimit: 'Shoal keeps the status of the last hour of ticks',
    },
    refused: {
      timeZone: (v) => (v === 'UTC' || v === 'Etc/UTC' ? undefined : 'Shoal reads schedules in UTC: convert the schedule and drop timeZone'),
      suspend: (v) => (v === true ? 'Shoal has no suspended CronJobs: delete it, and apply it again later' : undefined),
    },
  });
  if (spec.concurrencyPolicy !== undefined && spec.concurrencyPolicy !== 'Allow')
    d.warning([...at, 'concurrencyPolicy'], 'each tick of a Shoal CronJob runs on its own, whether or not the last one has finished (Allow)');
  const b = new ManifestBuilder('CronJob', { name: metadata.name, namespace: metadata.namespace, ...(metadata.labels === undefined ? {} : { labels: metadata.labels }) }, path);
  const schedule = string(d, spec.schedule, [...at, 'schedule']);
  if (schedule === undefined) d.error(at, 'a CronJob needs a schedule');
  else b.set('spec.schedule', schedule, [...at, 'schedule']);
  const deadline = integer(d, spec.startingDeadlineSeconds, [...at, 'startingDeadlineSeconds']);
  if (deadline !== undefined) b.set('spec.startingDeadlineSeconds', deadline, [...at, 'startingDeadlineSeconds']);
  const jobTemplate = mapping(d, spec.jobTemplate, [...at, 'jobTemplate']);
  if (jobTemplate === undefined) {
    d.error(at, 'a CronJob needs a jobTemplate');
    return b.build();
  }
  checkFields(d, jobTemplate, [...at, 'jobTemplate'], { handled: ['spec'], dropped: { metadata: 'a run is named by Shoal' } });
  translateJobSpec(ctx, b, mapping(d, jobTemplate.spec, [...at, 'jobTemplate', 'spec']) ?? {}, [...at, 'jobTemplate', 'spec'], metadata.namespace, false);
  return b.build();
}

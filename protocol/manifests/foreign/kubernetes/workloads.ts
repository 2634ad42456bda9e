import { checkFields, type Mapping } from '../field-rules.js';
import { ManifestBuilder } from '../manifest-builder.js';
import type { SourcePath, TranslatedObject } from '../translation.js';
import type { KubeContext } from './context.js';
import type { Metadata } from './metadata.js';
import { translatePodSpec } from './pod-spec.js';
import { integer, mapping, stringMap } from './values.js';

const HISTORY = 'Shoal keeps every revision of a workload';

/** A rolling-update bound: a count, or a percentage of the replicas (surge rounds up, unavailable down, as Kubernetes does). */
function bound(ctx: KubeContext, value: unknown, path: SourcePath, replicas: number, round: (n: number) => number): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d{1,3}%$/.test(value)) return round((Number.parseInt(value, 10) / 100) * replicas);
  ctx.diagnostics.error(path, 'expected a number or a percentage such as 25%');
  return undefined;
}

/** Kubernetes' rolling update as Shoal's rollout; 25%/25% when unset, and never both 0. */
function rollingUpdate(ctx: KubeContext, b: ManifestBuilder, value: unknown, path: SourcePath, replicas: number, progressDeadlineSeconds: number | undefined): void {
  const d = ctx.diagnostics;
  const update = mapping(d, value, path) ?? {};
  checkFields(d, update, path, {
    handled: ['maxUnavailable', 'maxSurge'],
    refused: { partition: (v) => (v === 0 ? undefined : 'Shoal rolls every replica over: drop partition') },
  });
  const maxSurge = bound(ctx, update.maxSurge ?? '25%', [...path, 'maxSurge'], replicas, Math.ceil) ?? 0;
  let maxUnavailable = bound(ctx, update.maxUnavailable ?? '25%', [...path, 'maxUnavailable'], replicas, Math.floor) ?? 1;
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  b.set('spec.rollout', { maxUnavailable, maxSurge, ...(progressDeadlineSeconds === undefined ? {} : { progressDeadlineSeconds }) }, path);
}

/** The template's labels are the workload's: Services select pods by them. */
function templateOf(ctx: KubeContext, spec: Mapping, path: SourcePath): { pod: Mapping; labels: Record<string, string> } | undefined {
  const d = ctx.diagnostics;
  const template = mapping(d, spec.template, [...path, 'template']);
  if (template === undefined) {
    d.error(path, 'a workload needs a pod template');
    return undefined;
  }
  checkFields(d, template, [...path, 'template'], { handled: ['metadata', 'spec'] });
  const templateMetadata = mapping(d, template.metadata, [...path, 'template', 'metadata']) ?? {};
  checkFields(d, templateMetadata, [...path, 'template', 'metadata'], {
    handled: ['labels'],
    dropped: { annotations: 'Shoal keeps no annotations', name: 'a replica is named by Shoal', creationTimestamp: (v) => (v === null ? undefined : 'written by Kubernetes') },
  });
  const labels = stringMap(d, templateMetadata.labels, [...path, 'template', 'metadata', 'labels']) ?? {};
  const pod = mapping(d, template.spec, [...path, 'template', 'spec']);
  if (pod === undefined) {
    d.error([...path, 'template'], 'a pod template needs a spec');
    return undefined;
  }
  const selector = mapping(d, spec.selector, [...path, 'selector']);
  if (selector !== undefined) {
    // Shoal's workload owns its replicas; the selector only has to agree with the template, as Kubernetes requires.
    const matchLabels = stringMap(d, selector.matchLabels, [...path, 'selector', 'matchLabels']) ?? {};
    for (const [k, v] of Object.entries(matchLabels))
      if (labels[k] !== v) d.error([...path, 'selector', 'matchLabels', k], `the selector does not match the template's labels (${k}: ${labels[k] ?? 'missing'})`);
  }
  return { pod, labels };
}

function workloadBuilder(metadata: Metadata, labels: Record<string, string>, path: SourcePath): ManifestBuilder {
  const b = new ManifestBuilder('Workload', { name: metadata.name, namespace: metadata.namespace, ...(Object.keys(labels).length > 0 ? { labels } : {}) }, path);
  if (Object.keys(labels).length > 0) b.cameFrom('metadata.labels', [...path, 'spec', 'template', 'metadata', 'labels']);
  return b;
}

function restartAlways(ctx: KubeContext, policy: string | undefined, path: SourcePath): void {
  if (policy !== undefined && policy !== 'Always') ctx.diagnostics.error([...path, 'restartPolicy'], `a long-running workload restarts Always; use a Job for ${policy}`);
}

export function translateDeployment(ctx: KubeContext, object: Mapping, path: SourcePath, metadata: Metadata): TranslatedObject | undefined {
  const d = ctx.diagnostics;
  const spec = mapping(d, object.spec, [...path, 'spec']) ?? {};
  const at = [...path, 'spec'];
  checkFields(d, spec, at, {
    handled: ['replicas', 'selector', 'template', 'strategy', 'progressDeadlineSeconds'],
    dropped: { minReadySeconds: 'a replica counts as available once it is ready', revisionHistoryLimit: HISTORY },
    refused: { paused: (v) => (v === true ? 'Shoal has no paused rollouts: apply when you want the change to roll out' : undefined) },
  });
  const template = templateOf(ctx, spec, at);
  if (template === undefined) return undefined;
  const b = workloadBuilder(metadata, template.labels, path);
  const replicas = integer(d, spec.replicas, [...at, 'replicas']) ?? 1;
  b.set('spec.replicas', replicas, [...at, 'replicas']);
  const strategy = mapping(d, spec.strategy, [...at, 'strategy']) ?? {};
  checkFields(d, strategy, [...at, 'strategy'], { handled: ['type', 'rollingUpdate'] });
  // Kubernetes' deadline only reports a stuck rollout; Shoal's also rolls it back, so the default stays Kubernetes' 600 s.
  const deadline = integer(d, spec.progressDeadlineSeconds, [...at, 'progressDeadlineSeconds']) ?? 600;
  if (strategy.type === 'Recreate') b.set('spec.rollout', { maxUnavailable: Math.max(1, replicas), maxSurge: 0, progressDeadlineSeconds: deadline }, [...at, 'strategy']);
  else if (strategy.type === undefined || strategy.type === 'RollingUpdate')
    rollingUpdate(ctx, b, strategy.rollingUpdate, [...at, 'strategy', 'rollingUpdate'], replicas, deadline);
  else d.error([...at, 'strategy', 'type'], 'expected RollingUpdate or Recreate');
  restartAlways(ctx, translatePodSpec(ctx, b, template.pod, [...at, 'template', 'spec'], metadata.namespace, template.labels, { probes: true }), [...at, 'template', 'spec']);
  return b.build();
}

/** A StatefulSet's or DaemonSet's `updateStrategy.rollingUpdate`; OnDelete is refused. */
function rollingUpdateOf(ctx: KubeContext, spec: Mapping, at: SourcePath, bounds: readonly string[]): Mapping {
  const d = ctx.diagnostics;
  const strategy = mapping(d, spec.updateStrategy, [...at, 'updateStrategy']) ?? {};
  checkFields(d, strategy, [...at, 'updateStrategy'], { handled: ['type', 'rollingUpdate'] });
  if (strategy.type === 'OnDelete') d.error([...at, 'updateStrategy', 'type'], 'Shoal rolls a new spec out itself: use RollingUpdate');
  const update = mapping(d, strategy.rollingUpdate, [...at, 'updateStrategy', 'rollingUpdate']) ?? {};
  checkFields(d, update, [...at, 'updateStrategy', 'rollingUpdate'], {
    handled: bounds,
    refused: { partition: (v) => (v === 0 ? undefined : 'Shoal rolls every replica over: drop partition') },
  });
  return update;
}

/**
 * A StatefulSet as far as it maps: its replicas never run twice, even on both sides of a
 * split (partitionPolicy majority), and roll over one at a time. Stable storage and
 * per-replica DNS names have no Shoal counterpart.
 */
export function translateStatefulSet(ctx: KubeContext, object: Mapping, path: SourcePath, metadata: Metadata): TranslatedObject | undefined {
  const d = ctx.diagnostics;
  const spec = mapping(d, object.spec, [...path, 'spec']) ?? {};
  const at = [...path, 'spec'];
  checkFields(d, spec, at, {
    handled: ['replicas', 'selector', 'template', 'updateStrategy', 'serviceName'],
    dropped: {
      podManagementPolicy: 'Shoal starts the replicas side by side, not in order',
      minReadySeconds: 'a replica counts as available once it is ready',
      revisionHistoryLimit: HISTORY,
      persistentVolumeClaimRetentionPolicy: 'Shoal provides no volumes',
    },
    refused: {
      volumeClaimTemplates: (v) => (Array.isArray(v) && v.length === 0 ? undefined : "Shoal provides no volumes: a replica's files last as long as the replica"),
      ordinals: 'Shoal numbers replicas from 0',
    },
  });
  if (spec.serviceName !== undefined && spec.serviceName !== '')
    d.warning([...at, 'serviceName'], 'Shoal has no per-replica DNS names: clients reach the replicas through a Service');
  const template = templateOf(ctx, spec, at);
  if (template === undefined) return undefined;
  const b = workloadBuilder(metadata, template.labels, path);
  b.set('spec.replicas', integer(d, spec.replicas, [...at, 'replicas']) ?? 1, [...at, 'replicas']);
  b.set('spec.partitionPolicy', 'majority', at);
  const update = rollingUpdateOf(ctx, spec, at, ['maxUnavailable']);
  const maxUnavailable = update.maxUnavailable === undefined ? 1 : integer(d, update.maxUnavailable, [...at, 'updateStrategy', 'rollingUpdate', 'maxUnavailable']);
  b.set('spec.rollout', { maxUnavailable: maxUnavailable ?? 1, maxSurge: 0 }, [...at, 'updateStrategy']);
  restartAlways(ctx, translatePodSpec(ctx, b, template.pod, [...at, 'template', 'spec'], metadata.namespace, template.labels, { probes: true }), [...at, 'template', 'spec']);
  return b.build();
}

/** A DaemonSet is a global workload: one replica on every node its placement allows. */
export function translateDaemonSet(ctx: KubeContext, object: Mapping, path: SourcePath, metadata: Metadata): TranslatedObject | undefined {
  const d = ctx.diagnostics;
  const spec = mapping(d, object.spec, [...path, 'spec']) ?? {};
  const at = [...path, 'spec'];
  checkFields(d, spec, at, {
    handled: ['selector', 'template', 'updateStrategy'],
    dropped: { minReadySeconds: 'a replica counts as available once it is ready', revisionHistoryLimit: HISTORY },
  });
  const template = templateOf(ctx, spec, at);
  if (template === undefined) return undefined;
  const b = workloadBuilder(metadata, template.labels, path);
  b.set('spec.mode', 'global', [...at, 'template']);
  const update = rollingUpdateOf(ctx, spec, at, ['maxUnavailable', 'maxSurge']);
  const count = (field: 'maxUnavailable' | 'maxSurge', fallback: number): number => {
    const v = update[field];
    if (v === undefined) return fallback;
    if (typeof v === 'string' && v.endsWith('%')) {
      d.warning([...at, 'updateStrategy', 'rollingUpdate', field], `a percentage of the nodes changes as they come and go: Shoal uses ${fallback}`);
      return fallback;
    }
    return integer(d, v, [...at, 'updateStrategy', 'rollingUpdate', field]) ?? fallback;
  };
  const maxUnavailable = count('maxUnavailable', 1);
  const maxSurge = count('maxSurge', 0);
  b.set('spec.rollout', { maxUnavailable: maxUnavailable + maxSurge === 0 ? 1 : maxUnavailable, maxSurge }, [...at, 'updateStrategy']);
  restartAlways(ctx, translatePodSpec(ctx, b, template.pod, [...at, 'template', 'spec'], metadata.namespace, template.labels, { probes: true }), [...at, 'template', 'spec']);
  return b.build();
}

/** A bare Pod is a workload of one replica. */
export function translatePod(ctx: KubeContext, object: Mapping, path: SourcePath, metadata: Metadata): TranslatedObject | undefined {
  const d = ctx.diagnostics;
  const pod = mapping(d, object.spec, [...path, 'spec']);
  if (pod === undefined) {
    d.error(path, 'a Pod needs a spec');
    return undefined;
  }
  const labels = metadata.labels ?? {};
  const b = new ManifestBuilder('Workload', { name: metadata.name, namespace: metadata.namespace, ...(Object.keys(labels).length > 0 ? { labels } : {}) }, path);
  b.set('spec.replicas', 1, path);
  const policy = translatePodSpec(ctx, b, pod, [...path, 'spec'], metadata.namespace, labels, { probes: true });
  const restart = policy === undefined || policy === 'Always' ? 'always' : policy === 'OnFailure' ? 'on-failure' : policy === 'Never' ? 'never' : undefined;
  if (restart === undefined) d.error([...path, 'spec', 'restartPolicy'], 'expected Always, OnFailure or Never');
  else if (restart !== 'always') b.set('spec.restartPolicy', restart, [...path, 'spec', 'restartPolicy']);
  return b.build();
}

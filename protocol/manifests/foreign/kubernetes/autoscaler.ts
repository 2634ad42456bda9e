import { cpuMillis, memoryBytes } from '../../quantity.js';
import { checkFields, isMapping, type Mapping } from '../field-rules.js';
import type { Diagnostics, SourcePath, TranslatedObject } from '../translation.js';
import type { KubeContext } from './context.js';
import type { Metadata } from './metadata.js';
import { integer, list, mapping, string } from './values.js';

/** An HPA of the apply, its metadata read: translated once the workloads are. */
export interface PendingAutoscaler {
  value: Mapping;
  path: SourcePath;
  metadata: Metadata;
}

/** A workload of the apply an HPA may name; `translated` is undefined where it had errors of its own. */
export interface ScaleTarget {
  kind: string;
  namespace: string;
  name: string;
  value: Mapping;
  path: SourcePath;
  translated: TranslatedObject | undefined;
}

type Resource = 'cpu' | 'memory';

/** A cpu or memory target, the only metrics a translation keeps, and where it came from. */
interface ResourceMetric {
  resource: Resource;
  /** Kubernetes' averageUtilization: percent of the container's request. */
  percent: number;
  from: SourcePath;
  percentFrom: SourcePath;
  /** Kubernetes' own when the HPA lists no metric. */
  isDefault: boolean;
}

/** Kubernetes' target when an HPA lists no metric: 80% of the cpu request. */
const DEFAULT_CPU_PERCENT = 80;

const V1_FIELDS = ['scaleTargetRef', 'minReplicas', 'maxReplicas', 'targetCPUUtilizationPercentage'];
const V2_FIELDS = ['scaleTargetRef', 'minReplicas', 'maxReplicas', 'metrics', 'behavior'];

const CUSTOM =
  "Shoal reads custom metrics from the replicas themselves, not from a metrics API: have each replica serve the number in Prometheus' text format, drop this metric, " +
  'and write the workload as a shoal/v1 manifest (shoal convert -f prints it) with spec.autoscale.metrics: [{custom: {name: <metric>, target: <per replica>, port: <port>, path: /metrics}}]';

const NO_POLICIES = 'Shoal has no rate policies: it moves straight to the stabilised count';

const quantityOf = (resource: Resource, value: unknown): number | undefined =>
  typeof value === 'string' || typeof value === 'number' ? (resource === 'cpu' ? cpuMillis(value) : memoryBytes(value)) : undefined;

const errorsIn = (d: Diagnostics): number => d.list.filter((x) => x.severity === 'error').length;

const isAbsent = (value: unknown): boolean => value === undefined || value === null;

/** The first container of a workload's pod template, read leniently: the workload's translation reports its problems. */
function containerOf(workload: Mapping): Mapping | undefined {
  const spec = isMapping(workload.spec) ? workload.spec : {};
  const template = isMapping(spec.template) ? spec.template : {};
  const pod = isMapping(template.spec) ? template.spec : {};
  const containers = Array.isArray(pod.containers) ? pod.containers : [];
  return isMapping(containers[0]) ? containers[0] : undefined;
}

/** The container's request and limit of a resource, in millicores or bytes; Kubernetes takes the limit as the request when only the limit is set. */
function requestOf(target: ScaleTarget, resource: Resource): { request: number | undefined; limit: number | undefined } {
  const resources = containerOf(target.value)?.resources;
  const requests = isMapping(resources) && isMapping(resources.requests) ? resources.requests : {};
  const limits = isMapping(resources) && isMapping(resources.limits) ? resources.limits : {};
  const limit = quantityOf(resource, limits[resource]);
  return { request: quantityOf(resource, requests[resource]) ?? limit, limit };
}

/**
 * Kubernetes' HorizontalPodAutoscalers (autoscaling/v2, and v1's cpu target) as
 * `spec.autoscale` of the Deployment or StatefulSet each scales in the same apply: an HPA
 * itself becomes no Shoal object. Called once every workload is translated, so an HPA
 * may come before its target in the file. An HPA with an error writes nothing: its
 * errors say what to change, and Shoal's schema would only repeat them.
 */
export function translateAutoscalers(ctx: KubeContext, autoscalers: readonly PendingAutoscaler[], targets: readonly ScaleTarget[]): void {
  const scaledBy = new Map<ScaleTarget, string>();
  for (const hpa of autoscalers) {
    try {
      translateAutoscaler(ctx, hpa, targets, scaledBy);
    } catch (e) {
      // A translator bug must not become a crash of the CLI on someone's file.
      ctx.diagnostics.error(hpa.path, `cannot translate: ${(e as Error).message}`);
    }
  }
}

function translateAutoscaler(ctx: KubeContext, { value, path, metadata }: PendingAutoscaler, targets: readonly ScaleTarget[], scaledBy: Map<ScaleTarget, string>): void {
  const d = ctx.diagnostics;
  const errors = errorsIn(d);
  if (metadata.labels !== undefined && Object.keys(metadata.labels).length > 0)
    d.warning([...path, 'metadata', 'labels'], 'dropped: the autoscaler becomes spec.autoscale of its workload, which has labels of its own');
  const at = [...path, 'spec'];
  const spec = mapping(d, value.spec, at);
  if (spec === undefined) {
    if (isAbsent(value.spec)) d.error(path, 'a HorizontalPodAutoscaler needs a spec: scaleTargetRef, maxReplicas and its metrics');
    return;
  }
  const v1 = value.apiVersion === 'autoscaling/v1';
  checkFields(
    d,
    spec,
    at,
    v1
      ? {
          handled: V1_FIELDS,
          refused: {
            metrics: 'autoscaling/v1 scales on cpu alone: make it autoscaling/v2 to list metrics',
            behavior: 'autoscaling/v1 has no behavior: make it autoscaling/v2',
          },
        }
      : {
          handled: V2_FIELDS,
          refused: {
            targetCPUUtilizationPercentage:
              'that is autoscaling/v1; in autoscaling/v2 it is metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: <percent>}}}]',
          },
        },
  );
  const target = targetOf(ctx, spec.scaleTargetRef, [...at, 'scaleTargetRef'], metadata, targets, scaledBy);
  const minReplicas = integer(d, spec.minReplicas, [...at, 'minReplicas']) ?? 1;
  const maxReplicas = integer(d, spec.maxReplicas, [...at, 'maxReplicas']);
  if (isAbsent(spec.maxReplicas)) d.error(at, 'a HorizontalPodAutoscaler needs maxReplicas: the most replicas it may run');
  const metrics = v1 ? v1Metrics(d, spec, at) : v2Metrics(d, spec, at, target);
  const behavior = v1 ? undefined : behaviorOf(d, spec.behavior, [...at, 'behavior']);
  if (target?.translated === undefined) return;
  const metricsFrom = isAbsent(spec.metrics) ? (isAbsent(spec.targetCPUUtilizationPercentage) ? at : [...at, 'targetCPUUtilizationPercentage']) : [...at, 'metrics'];
  const percents = metrics.map((m) => percentOf(d, m, target));
  if (errorsIn(d) > errors || maxReplicas === undefined) return;

  const object = target.translated;
  const workload = isMapping(object.manifest.spec) ? object.manifest.spec : (object.manifest.spec = {});
  workload.autoscale = {
    minReplicas,
    maxReplicas,
    metrics: metrics.map((m, i) => ({ [m.resource]: { targetPercent: percents[i] } })),
    ...(behavior === undefined ? {} : { behavior: behavior.value }),
  };
  // A problem Shoal's schema finds in spec.autoscale is reported at the HPA's line, not the workload's.
  const origins: Record<string, SourcePath> = {
    'spec.autoscale': at,
    'spec.autoscale.minReplicas': isAbsent(spec.minReplicas) ? at : [...at, 'minReplicas'],
    'spec.autoscale.maxReplicas': [...at, 'maxReplicas'],
    'spec.autoscale.metrics': metricsFrom,
    ...behavior?.origins,
  };
  metrics.forEach((m, i) => {
    origins[`spec.autoscale.metrics.${i}`] = m.from;
    origins[`spec.autoscale.metrics.${i}.${m.resource}.targetPercent`] = m.percentFrom;
  });
  Object.assign(object.fieldOrigins, origins);
  const replicas = isMapping(target.value.spec) ? target.value.spec.replicas : undefined;
  if (replicas === 0)
    d.warning(
      [...target.path, 'spec', 'replicas'],
      'Kubernetes leaves a workload scaled to 0 alone; Shoal keeps an autoscaled one between minReplicas and maxReplicas: remove the autoscaler to keep it at 0',
    );
}

/** The Deployment or StatefulSet of this apply, in the HPA's namespace, that `scaleTargetRef` names; one HPA each. */
function targetOf(
  ctx: KubeContext,
  value: unknown,
  at: SourcePath,
  metadata: Metadata,
  targets: readonly ScaleTarget[],
  scaledBy: Map<ScaleTarget, string>,
): ScaleTarget | undefined {
  const d = ctx.diagnostics;
  const ref = mapping(d, value, at);
  if (ref === undefined) {
    if (isAbsent(value)) d.error(at.slice(0, -1), 'a HorizontalPodAutoscaler needs a scaleTargetRef: the Deployment or StatefulSet it scales');
    return undefined;
  }
  checkFields(d, ref, at, { handled: ['apiVersion', 'kind', 'name'] });
  const apiVersion = string(d, ref.apiVersion, [...at, 'apiVersion']);
  const kind = string(d, ref.kind, [...at, 'kind']);
  const name = string(d, ref.name, [...at, 'name']);
  if (kind === undefined || name === undefined) {
    if (isAbsent(ref.kind)) d.error(at, 'a scaleTargetRef needs the kind it scales: Deployment or StatefulSet');
    if (isAbsent(ref.name)) d.error(at, 'a scaleTargetRef needs the name of the workload it scales');
    return undefined;
  }
  if (kind === 'DaemonSet') {
    d.error([...at, 'kind'], 'a DaemonSet runs one replica a node, so it cannot autoscale: make it a Deployment to scale it with its load');
    return undefined;
  }
  if (kind !== 'Deployment' && kind !== 'StatefulSet') {
    d.error([...at, 'kind'], `Shoal autoscales a Deployment or a StatefulSet, not a ${kind}`);
    return undefined;
  }
  if (apiVersion !== undefined && apiVersion.split('/')[0] !== 'apps') d.error([...at, 'apiVersion'], `a ${kind} is apps/v1`);
  const target = targets.find((t) => t.kind === kind && t.namespace === metadata.namespace && t.name === name);
  if (target === undefined) {
    const elsewhere = targets.find((t) => t.kind === kind && t.name === name);
    const otherKind = targets.find((t) => t.namespace === metadata.namespace && t.name === name);
    d.error(
      [...at, 'name'],
      elsewhere !== undefined
        ? `the ${kind} ${name} of this apply is in namespace ${elsewhere.namespace}, and an autoscaler scales a workload of its own namespace (${metadata.namespace}): put them in one namespace`
        : otherKind !== undefined
          ? `${name} is a ${otherKind.kind} here, not a ${kind}${otherKind.kind === 'DaemonSet' ? ': a DaemonSet runs one replica a node, so it cannot autoscale' : `: set kind: ${otherKind.kind}`}`
          : `no ${kind} ${name} in namespace ${metadata.namespace} in this apply: Shoal writes the autoscaling into the workload itself, so apply the autoscaler in one file with its ${kind}`,
    );
    return undefined;
  }
  const first = scaledBy.get(target);
  if (first !== undefined) {
    d.error(at, `the ${kind} ${name} is scaled by the autoscaler ${first} already: one autoscaler per workload, so merge their metrics into one`);
    return undefined;
  }
  scaledBy.set(target, metadata.name);
  return target;
}

function defaultMetric(from: SourcePath): ResourceMetric {
  return { resource: 'cpu', percent: DEFAULT_CPU_PERCENT, from, percentFrom: from, isDefault: true };
}

/** autoscaling/v1: one cpu target, Kubernetes' 80% when unset. */
function v1Metrics(d: Diagnostics, spec: Mapping, at: SourcePath): ResourceMetric[] {
  const percentAt = [...at, 'targetCPUUtilizationPercentage'];
  if (isAbsent(spec.targetCPUUtilizationPercentage)) return [defaultMetric(at)];
  const percent = integer(d, spec.targetCPUUtilizationPercentage, percentAt);
  return percent === undefined ? [] : [{ resource: 'cpu', percent, from: percentAt, percentFrom: percentAt, isDefault: false }];
}

/** autoscaling/v2's metrics: cpu and memory utilization; Kubernetes' 80% cpu when none is listed. */
function v2Metrics(d: Diagnostics, spec: Mapping, at: SourcePath, target: ScaleTarget | undefined): ResourceMetric[] {
  const metricsAt = [...at, 'metrics'];
  const given = list(d, spec.metrics, metricsAt);
  if (given.length === 0) return [defaultMetric(isAbsent(spec.metrics) ? at : metricsAt)];
  const out: ResourceMetric[] = [];
  for (const [i, entry] of given.entries()) {
    const metric = metricOf(d, entry, [...metricsAt, i], target);
    if (metric !== undefined) out.push(metric);
  }
  return out;
}

function metricOf(d: Diagnostics, entry: unknown, at: SourcePath, target: ScaleTarget | undefined): ResourceMetric | undefined {
  const metric = mapping(d, entry, at);
  if (metric === undefined) {
    if (isAbsent(entry)) d.error(at, 'expected a metric');
    return undefined;
  }
  const type = metric.type;
  if (type === 'Resource' || type === 'ContainerResource') {
    const field = type === 'Resource' ? 'resource' : 'containerResource';
    checkFields(d, metric, at, { handled: ['type', field] });
    return resourceMetric(d, type, metric[field], [...at, field], at, target);
  }
  if (type === 'Pods' || type === 'Object' || type === 'External') d.error([...at, 'type'], CUSTOM);
  else if (isAbsent(type)) d.error(at, 'a metric needs a type: Resource, ContainerResource, Pods, Object or External');
  else d.error([...at, 'type'], 'expected Resource, ContainerResource, Pods, Object or External');
  return undefined;
}

/**
 * A Resource metric, or a ContainerResource one of the target's container: a Shoal
 * replica is that one container, so the container's usage is the replica's.
 */
function resourceMetric(
  d: Diagnostics,
  type: 'Resource' | 'ContainerResource',
  value: unknown,
  at: SourcePath,
  metricAt: SourcePath,
  target: ScaleTarget | undefined,
): ResourceMetric | undefined {
  const inContainer = type === 'ContainerResource';
  const source = mapping(d, value, at);
  if (source === undefined) {
    if (isAbsent(value)) d.error(metricAt, `a ${type} metric needs ${at[at.length - 1] as string}: its name (cpu or memory) and target`);
    return undefined;
  }
  checkFields(d, source, at, { handled: ['name', 'target', ...(inContainer ? ['container'] : [])] });
  const name = string(d, source.name, [...at, 'name']);
  if (isAbsent(source.name)) d.error(at, `a ${type} metric needs a name: cpu or memory`);
  else if (name !== undefined && name !== 'cpu' && name !== 'memory') d.error([...at, 'name'], `Shoal measures a replica's cpu and memory: it cannot scale on ${name}`);
  if (inContainer) {
    const named = string(d, source.container, [...at, 'container']);
    // Read leniently: the workload's own translation judges its container.
    const own = target === undefined ? undefined : containerOf(target.value)?.name;
    if (isAbsent(source.container)) d.error(at, 'a ContainerResource metric needs the container it measures');
    else if (target !== undefined && named !== undefined && typeof own === 'string' && named !== own)
      d.error([...at, 'container'], `${target.kind} ${target.name} has no container ${named}: its container is ${own} (a Shoal replica is that one container)`);
  }
  const targetAt = [...at, 'target'];
  const goal = mapping(d, source.target, targetAt);
  if (goal === undefined) {
    if (isAbsent(source.target)) d.error(at, 'a resource metric needs a target: {type: Utilization, averageUtilization: <percent>}');
    return undefined;
  }
  const resource = name === 'cpu' || name === 'memory' ? name : undefined;
  if (goal.type === 'AverageValue' || goal.type === 'Value') {
    d.error(
      [...targetAt, 'type'],
      `Shoal aims ${resource ?? 'cpu and memory'} at a percent of the replica's request, not at an amount: use type: Utilization with averageUtilization: <the amount / the container's request x 100>`,
    );
    return undefined;
  }
  if (goal.type !== 'Utilization') {
    if (isAbsent(goal.type)) d.error(targetAt, 'a target needs a type: Utilization');
    else d.error([...targetAt, 'type'], 'expected Utilization');
    return undefined;
  }
  checkFields(d, goal, targetAt, {
    handled: ['type', 'averageUtilization'],
    refused: { averageValue: 'a Utilization target is averageUtilization alone: drop averageValue', value: 'a Utilization target is averageUtilization alone: drop value' },
  });
  const percentAt = [...targetAt, 'averageUtilization'];
  const percent = integer(d, goal.averageUtilization, percentAt);
  if (isAbsent(goal.averageUtilization)) d.error(targetAt, 'a Utilization target needs averageUtilization: the percent of the request to aim at');
  if (percent === undefined || resource === undefined) return undefined;
  return { resource, percent, from: metricAt, percentFrom: percentAt, isDefault: false };
}

/**
 * The target percent in Shoal's terms, or an error where the workload has no amount to
 * take a percent of. Kubernetes aims at a percent of the request; Shoal at a percent of
 * what it reserves, the limit when both are set: where they differ, the percent is
 * converted so the amount aimed at stays the same.
 */
function percentOf(d: Diagnostics, metric: ResourceMetric, target: ScaleTarget): number {
  const { resource, percent } = metric;
  const workload = target.translated?.manifest.spec;
  const reserved = isMapping(workload) && isMapping(workload.resources) ? workload.resources[resource] : undefined;
  if (reserved === undefined) {
    d.error(
      metric.from,
      metric.isDefault
        ? `with no metrics Kubernetes aims at ${DEFAULT_CPU_PERCENT}% of the cpu request, and the container of ${target.kind} ${target.name} requests no cpu: set its resources.requests.cpu, or list the metrics`
        : `a ${resource} target is a percent of the request, and the container of ${target.kind} ${target.name} requests no ${resource}: set its resources.requests.${resource}`,
    );
    return percent;
  }
  const { request, limit } = requestOf(target, resource);
  if (request === undefined || limit === undefined || request === limit) return percent;
  const converted = Math.max(1, Math.round((percent * request) / limit));
  d.warning(
    metric.percentFrom,
    `Kubernetes aims at ${percent}% of the ${resource} request; Shoal reserves the limit and aims at a percent of it: targetPercent ${converted} aims at the same amount`,
  );
  return converted;
}

/** v2's behavior: each direction's stabilization window; the rate policies are dropped. */
function behaviorOf(d: Diagnostics, value: unknown, at: SourcePath): { value: Record<string, number>; origins: Record<string, SourcePath> } | undefined {
  const behavior = mapping(d, value, at);
  if (behavior === undefined) return undefined;
  checkFields(d, behavior, at, { handled: ['scaleUp', 'scaleDown'] });
  // Kubernetes' defaults, and Shoal's.
  const windows: Record<string, number> = { scaleUpWindowSeconds: 0, scaleDownWindowSeconds: 300 };
  const origins: Record<string, SourcePath> = { 'spec.autoscale.behavior': at };
  for (const [direction, field] of [
    ['scaleUp', 'scaleUpWindowSeconds'],
    ['scaleDown', 'scaleDownWindowSeconds'],
  ] as const) {
    const rulesAt = [...at, direction];
    const rules = mapping(d, behavior[direction], rulesAt);
    if (rules === undefined) continue;
    checkFields(d, rules, rulesAt, {
      handled: ['stabilizationWindowSeconds', 'selectPolicy'],
      dropped: {
        policies: (v) => (Array.isArray(v) && v.length === 0 ? undefined : NO_POLICIES),
        tolerance: (v) => (v === 0.1 || v === '0.1' || v === '100m' ? undefined : 'Shoal holds the count while usage is within 10% of the target'),
      },
    });
    const window = integer(d, rules.stabilizationWindowSeconds, [...rulesAt, 'stabilizationWindowSeconds']);
    if (window !== undefined) {
      windows[field] = window;
      origins[`spec.autoscale.behavior.${field}`] = [...rulesAt, 'stabilizationWindowSeconds'];
    }
    const selectAt = [...rulesAt, 'selectPolicy'];
    const select = rules.selectPolicy;
    // Max, Kubernetes' default, picks the policy that moves the most: Shoal moves all the way.
    if (select === 'Min') d.warning(selectAt, NO_POLICIES);
    else if (select === 'Disabled')
      d.error(
        selectAt,
        direction === 'scaleUp'
          ? 'Shoal cannot stop scaling up: drop selectPolicy, and set maxReplicas to the most replicas it may run'
          : 'Shoal cannot stop scaling down: drop selectPolicy, and set minReplicas to the fewest replicas it may run (stabilizationWindowSeconds: 3600 removes replicas only after an hour of less load)',
      );
    else if (!isAbsent(select) && select !== 'Max') d.error(selectAt, 'expected Max, Min or Disabled');
  }
  return { value: windows, origins };
}

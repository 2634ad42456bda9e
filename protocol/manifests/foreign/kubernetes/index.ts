import { checkFields, isMapping, type Mapping } from '../field-rules.js';
import { Diagnostics, type SourcePath, type Translation, type TranslatedObject } from '../translation.js';
import { translateAutoscalers, type PendingAutoscaler, type ScaleTarget } from './autoscaler.js';
import { translateConfigMap, translateSecret } from './config.js';
import { objectRef, type KubeContext } from './context.js';
import { namedPortsOf } from './container.js';
import { translateCronJob, translateJob } from './jobs.js';
import { dropStatus, readMetadata, type Metadata } from './metadata.js';
import { translateService } from './service.js';
import { translateDaemonSet, translateDeployment, translatePod, translateStatefulSet } from './workloads.js';

type Translator = (ctx: KubeContext, object: Mapping, path: SourcePath, metadata: Metadata) => TranslatedObject | undefined;

const KINDS: Record<string, { apiVersions: readonly string[]; translate: Translator }> = {
  Deployment: { apiVersions: ['apps/v1'], translate: translateDeployment },
  StatefulSet: { apiVersions: ['apps/v1'], translate: translateStatefulSet },
  DaemonSet: { apiVersions: ['apps/v1'], translate: translateDaemonSet },
  Pod: { apiVersions: ['v1'], translate: translatePod },
  Job: { apiVersions: ['batch/v1'], translate: translateJob },
  CronJob: { apiVersions: ['batch/v1', 'batch/v1beta1'], translate: translateCronJob },
  Service: { apiVersions: ['v1'], translate: translateService },
  Secret: { apiVersions: ['v1'], translate: translateSecret },
  ConfigMap: { apiVersions: ['v1'], translate: translateConfigMap },
  // Becomes spec.autoscale of the workload it scales, once the workloads are translated (autoscaler.ts).
  HorizontalPodAutoscaler: { apiVersions: ['autoscaling/v2', 'autoscaling/v1'], translate: () => undefined },
};

/** Kinds that ship beside workloads and mean nothing to Shoal: skipped, each with a warning. */
const SKIPPED: Record<string, string> = {
  Namespace: 'Shoal namespaces need no object: they exist once something is in them',
  ServiceAccount: 'a replica gets no credentials for the cluster API',
  Role: 'a replica gets no credentials for the cluster API',
  RoleBinding: 'a replica gets no credentials for the cluster API',
  ClusterRole: 'a replica gets no credentials for the cluster API',
  ClusterRoleBinding: 'a replica gets no credentials for the cluster API',
  PodDisruptionBudget: 'Shoal rolls out and drains within the rollout bounds of each workload',
};

const WITH_TEMPLATE = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** A mapping with an `apiVersion` other than Shoal's and a `kind`: a Kubernetes object (or a List of them). */
export function isKubernetesDocument(value: unknown): boolean {
  return isMapping(value) && typeof value.apiVersion === 'string' && value.apiVersion !== 'shoal/v1' && typeof value.kind === 'string';
}

interface Found {
  value: Mapping;
  path: SourcePath;
  kind: string;
}

/** Each object, a List's items among them. */
function objectsOf(d: Diagnostics, documents: readonly { value: unknown; path: SourcePath }[]): Found[] {
  const out: Found[] = [];
  for (const { value, path } of documents) {
    if (!isKubernetesDocument(value) || !isMapping(value)) {
      d.error(path, 'expected a Kubernetes object with apiVersion and kind');
      continue;
    }
    if (value.kind === 'List') {
      checkFields(d, value, path, { handled: ['apiVersion', 'kind', 'items'], dropped: { metadata: 'a List is only its items' } });
      if (!Array.isArray(value.items)) d.error(path, 'a List needs items');
      else
        for (const [i, item] of value.items.entries()) {
          if (isKubernetesDocument(item)) out.push({ value: item as Mapping, path: [...path, 'items', i], kind: String((item as Mapping).kind) });
          else d.error([...path, 'items', i], 'expected a Kubernetes object with apiVersion and kind');
        }
    } else out.push({ value, path, kind: String(value.kind) });
  }
  return out;
}

/** What one object may need from the others: ConfigMap and Secret keys, workloads' labels and named ports. Read leniently; the translation reports. */
function contextOf(d: Diagnostics, objects: readonly Found[]): KubeContext {
  const configMapKeys = new Map<string, string[]>();
  const secretKeys = new Map<string, string[]>();
  const workloads: KubeContext['workloads'][number][] = [];
  for (const { value, kind } of objects) {
    const metadata = isMapping(value.metadata) ? value.metadata : {};
    if (typeof metadata.name !== 'string') continue;
    const ref = objectRef(typeof metadata.namespace === 'string' ? metadata.namespace : 'default', metadata.name);
    const keysOf = (...fields: string[]): string[] => fields.flatMap((f) => (isMapping(value[f]) ? Object.keys(value[f] as Mapping) : []));
    if (kind === 'ConfigMap') configMapKeys.set(ref, keysOf('data', 'binaryData'));
    if (kind === 'Secret') secretKeys.set(ref, keysOf('data', 'stringData'));
    const spec = isMapping(value.spec) ? value.spec : {};
    const template = WITH_TEMPLATE.has(kind) && isMapping(spec.template) ? spec.template : kind === 'Pod' ? { metadata, spec } : undefined;
    if (template === undefined) continue;
    const labels = isMapping(template.metadata) && isMapping(template.metadata.labels) ? (template.metadata.labels as Record<string, string>) : {};
    const containers = isMapping(template.spec) && Array.isArray(template.spec.containers) ? template.spec.containers : [];
    workloads.push({ namespace: ref.split('/')[0] as string, labels, namedPorts: namedPortsOf(containers[0]) });
  }
  return { diagnostics: d, configMapKeys, secretKeys, workloads };
}

/**
 * Kubernetes objects as Shoal's, translated together: a Service's named targetPort and a
 * container's envFrom look into the other objects of the same apply. Never throws:
 * whatever is wrong becomes a diagnostic at its path.
 */
export function translateKubernetes(documents: readonly { value: unknown; path: SourcePath }[]): Translation {
  const d = new Diagnostics();
  const objects = objectsOf(d, documents);
  const ctx = contextOf(d, objects);
  const translated: TranslatedObject[] = [];
  const secrets = new Set<string>();
  const autoscalers: PendingAutoscaler[] = [];
  const scaleTargets: ScaleTarget[] = [];
  for (const { value, path, kind } of objects) {
    if (Object.hasOwn(SKIPPED, kind)) {
      d.warning([...path, 'kind'], `${kind} skipped: ${SKIPPED[kind]}`);
      continue;
    }
    const known = Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
    if (known === undefined) {
      d.error([...path, 'kind'], `Shoal cannot apply a Kubernetes ${kind}; it translates ${Object.keys(KINDS).join(', ')}`);
      continue;
    }
    if (!known.apiVersions.includes(String(value.apiVersion))) {
      d.error([...path, 'apiVersion'], `a ${kind} is ${known.apiVersions.join(' or ')}`);
      continue;
    }
    const metadata = readMetadata(d, value, path);
    if (metadata === undefined) continue;
    if (kind !== 'Secret' && kind !== 'ConfigMap') {
      checkFields(d, value, path, { handled: ['apiVersion', 'kind', 'metadata', 'spec', 'status'] });
      dropStatus(d, value, path);
    }
    if (kind === 'Secret' || kind === 'ConfigMap') {
      const ref = objectRef(metadata.namespace, metadata.name);
      if (secrets.has(ref)) {
        d.error([...path, 'metadata', 'name'], `a ConfigMap becomes a Shoal Secret of its name, and ${ref} is taken by another Secret or ConfigMap of this apply: rename one`);
        continue;
      }
      secrets.add(ref);
    }
    if (kind === 'HorizontalPodAutoscaler') {
      autoscalers.push({ value, path, metadata });
      continue;
    }
    let object: TranslatedObject | undefined;
    try {
      object = known.translate(ctx, value, path, metadata);
      if (object !== undefined) translated.push(object);
    } catch (e) {
      // A translator bug must not become a crash of the CLI on someone's file.
      d.error(path, `cannot translate: ${(e as Error).message}`);
    }
    if (WITH_TEMPLATE.has(kind)) scaleTargets.push({ kind, namespace: metadata.namespace, name: metadata.name, value, path, translated: object });
  }
  translateAutoscalers(ctx, autoscalers, scaleTargets);
  return { objects: translated, diagnostics: d.list };
}

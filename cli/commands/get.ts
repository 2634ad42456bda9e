import { stringify } from 'yaml';
import type { ObjectJson } from '../../protocol/api/objects.js';
import { UserError } from '../../node/errors.js';
import { workloadFromFields } from '../../protocol/manifests/workload.js';
import type { Json } from '../../crdt/index.js';
import { ApiClient, type ApiTarget } from '../client.js';
import { table } from '../table.js';

const KINDS: Record<string, string> = {
  workload: 'Workload',
  workloads: 'Workload',
  secret: 'Secret',
  secrets: 'Secret',
  cronjob: 'CronJob',
  cronjobs: 'CronJob',
  service: 'Service',
  services: 'Service',
  svc: 'Service',
};

/** What `shoal get` lists, as its help and its errors name them. */
export const RESOURCES = 'workloads, services, placements, jobs, cronjobs, autoscalers, images or secrets';

export const kindOf = (resource: string): string => {
  const kind = KINDS[resource.toLowerCase()];
  if (kind === undefined) throw new UserError(`unknown resource '${resource}': expected ${RESOURCES}`);
  return kind;
};

const secretKeys = (o: ObjectJson): string[] =>
  Object.keys(o.fields)
    .filter((f) => f.startsWith('data.'))
    .map((f) => f.slice('data.'.length));

/** A Secret shows its key names, never a value, not even sealed. */
const manifest = (o: ObjectJson): Record<string, Json> =>
  o.kind === 'Secret'
    ? { apiVersion: 'shoal/v1', kind: 'Secret', metadata: { name: o.name, namespace: o.namespace }, keys: secretKeys(o) }
    : workloadFromFields(o.namespace, o.name, o.fields as Record<string, Json>);

/** The operator's count; an autoscaled workload's bounds instead, its count being the autoscaler's (`get autoscalers`). */
function replicasColumn(fields: ObjectJson['fields']): string {
  if (fields['spec.mode'] === 'global') return 'global';
  const autoscale = fields['spec.autoscale'] as { minReplicas?: Json; maxReplicas?: Json } | null | undefined;
  if (autoscale !== null && typeof autoscale === 'object' && !Array.isArray(autoscale)) return `auto ${String(autoscale.minReplicas ?? 1)}-${String(autoscale.maxReplicas ?? '?')}`;
  return String(fields['spec.replicas'] ?? '');
}

/** The image, or for a spec that names none, its artifact (`artifact sha256:<12 hex>`, as `get images` shortens it). */
function imageColumn(fields: ObjectJson['fields']): string {
  const [image, artifact] = [fields['spec.image'], fields['spec.artifact']];
  if (typeof image === 'string') return image;
  return typeof artifact === 'string' ? `artifact ${artifact.slice(0, 'sha256:'.length + 12)}` : '';
}

/** Columns by the kind asked for, not the first object's: an empty list of secrets is still a list of secrets. */
function print(kind: string, objects: ObjectJson[], output: string, single: boolean): void {
  if (output === 'json') console.log(JSON.stringify(single ? manifest(objects[0]!) : objects.map(manifest), null, 2));
  else if (output === 'yaml')
    console.log(
      objects
        .map((o) => stringify(manifest(o)))
        .join('---\n')
        .trimEnd(),
    );
  else if (kind === 'Secret') {
    console.log(
      table(
        ['NAMESPACE', 'NAME', 'KEYS', 'UPDATED'],
        objects.map((o) => [o.namespace, o.name, secretKeys(o).join(','), o.lastWrite ? new Date(o.lastWrite.wallMs).toISOString() : '-']),
      ),
    );
  } else {
    const rows = objects.map((o) => [o.namespace, o.name, imageColumn(o.fields), replicasColumn(o.fields), o.lastWrite ? new Date(o.lastWrite.wallMs).toISOString() : '-']);
    console.log(table(['NAMESPACE', 'NAME', 'IMAGE', 'REPLICAS', 'UPDATED'], rows));
  }
}

/** `shoal get workloads` and `shoal get workload NAME`. */
export async function get(opts: { resource: string; name?: string; namespace: string; output: string; api: ApiTarget; key: string; allNamespaces: boolean }): Promise<void> {
  if (!['table', 'json', 'yaml'].includes(opts.output)) throw new UserError(`invalid -o '${opts.output}': expected table, json or yaml`);
  if (['jobs', 'job'].includes(opts.resource.toLowerCase())) {
    const jobs = (
      (await new ApiClient(opts.api, opts.key).get<{ namespace: string; name: string; completions: number; succeeded: number; failures: number; state: string }[]>('/v1/jobs')) ??
      []
    ).filter((j) => (opts.allNamespaces || j.namespace === opts.namespace) && (opts.name === undefined || j.name === opts.name));
    if (opts.output === 'json') console.log(JSON.stringify(jobs, null, 2));
    else
      console.log(
        table(
          ['NAMESPACE', 'NAME', 'COMPLETIONS', 'FAILURES', 'STATE'],
          jobs.map((j) => [j.namespace, j.name, `${j.succeeded}/${j.completions}`, String(j.failures), j.state]),
        ),
      );
    return;
  }
  if (['services', 'service', 'svc'].includes(opts.resource.toLowerCase())) {
    const { getServices } = await import('./services.js');
    await getServices(opts);
    return;
  }
  if (['autoscalers', 'autoscaler', 'hpa'].includes(opts.resource.toLowerCase())) {
    const { getAutoscalers } = await import('./autoscalers.js');
    await getAutoscalers(opts);
    return;
  }
  if (['images', 'image'].includes(opts.resource.toLowerCase())) {
    const { getImages } = await import('./images.js');
    await getImages(opts);
    return;
  }
  if (['placements', 'placement'].includes(opts.resource.toLowerCase())) {
    const { placements } = await import('./placements.js');
    await placements(opts);
    return;
  }
  const kind = kindOf(opts.resource);
  const client = new ApiClient(opts.api, opts.key);
  if (opts.name !== undefined) {
    const object = await client.get<ObjectJson>(`/v1/objects/${kind}/${opts.namespace}/${opts.name}`);
    if (object === undefined) throw new UserError(`${kind.toLowerCase()} ${opts.namespace}/${opts.name} not found`);
    print(kind, [object], opts.output, true);
    return;
  }
  const objects = ((await client.get<ObjectJson[]>(`/v1/objects?kind=${kind}`)) ?? []).filter((o) => opts.allNamespaces || o.namespace === opts.namespace);
  print(kind, objects, opts.output, false);
}

import { z } from 'zod';
import type { Json } from '../../crdt/json.js';
import { manifestFields } from './fields.js';
import { cpuMillis, memoryBytes } from './quantity.js';
import { ARTIFACT_ID } from '../content/artifact-entries.js';
import { requireImageOrArtifact } from './image-or-artifact.js';

/** DNS-1123 labels, as Kubernetes names are. */
export const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^[A-Za-z0-9][-A-Za-z0-9_./]{0,62}$/;
const LABEL_VALUE = /^[-A-Za-z0-9_.]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const nameSchema = z.string().regex(NAME, 'must be lower-case letters, digits and -, at most 63, starting and ending with a letter or digit');
export const labelsSchema = z.record(
  z.string().regex(LABEL_KEY, 'label keys are letters, digits, - _ . /'),
  z.string().regex(LABEL_VALUE, 'label values are letters, digits, - _ .'),
);

const quantity = (parse: (v: string | number) => number | undefined, example: string) =>
  z.union([z.string(), z.number()]).refine((v) => parse(v) !== undefined && (parse(v) as number) > 0, `expected a quantity such as ${example}`);

/** A label constraint of `spec.placement`; the scheduler reads the document's back through it (scheduler/from-document.ts). */
export const constraintSchema = z.strictObject({
  key: z.string().regex(LABEL_KEY),
  operator: z.enum(['==', '!=', 'in', 'exists']),
  value: z.string().optional(),
  values: z.array(z.string()).optional(),
});

const port = z.number().int().min(1).max(65535);

/** Kubernetes' probe fields, in seconds as there; exactly one of http, tcp and exec. */
const probe = z
  .strictObject({
    http: z.strictObject({ path: z.string().startsWith('/').default('/'), port }).optional(),
    tcp: z.strictObject({ port }).optional(),
    exec: z.strictObject({ command: z.array(z.string()).min(1) }).optional(),
    initialDelaySeconds: z.number().min(0).max(3600).default(0),
    periodSeconds: z.number().min(0.1).max(3600).default(10),
    timeoutSeconds: z.number().min(0.1).max(3600).default(1),
    successThreshold: z.number().int().min(1).max(100).default(1),
    failureThreshold: z.number().int().min(1).max(100).default(3),
  })
  .refine((p) => [p.http, p.tcp, p.exec].filter((c) => c !== undefined).length === 1, 'a probe has exactly one of http, tcp and exec');

const targetPercent = z.number().int().min(1).max(10_000);
/** Prometheus' metric names, less those starting with __ (Prometheus' own, and an object's prototype in JavaScript). */
export const METRIC_NAME = /^(?!__)[a-zA-Z_:][a-zA-Z0-9_:]{0,127}$/;

/**
 * Kubernetes' HorizontalPodAutoscaler in a workload: the replica count follows the load
 * between the bounds. cpu and memory targets are percent of the replica's request
 * (`resources`); a custom metric is a number each replica serves in Prometheus' text
 * format at `http://<replica>:<port><path>`, aimed at `target` per replica on average.
 */
export const autoscaleSchema = z
  .strictObject({
    minReplicas: z.number().int().min(1).max(10_000).default(1),
    maxReplicas: z.number().int().min(1).max(10_000),
    metrics: z
      .array(
        z.union([
          z.strictObject({ cpu: z.strictObject({ targetPercent }) }),
          z.strictObject({ memory: z.strictObject({ targetPercent }) }),
          z.strictObject({
            custom: z.strictObject({
              name: z.string().regex(METRIC_NAME, 'a Prometheus metric name: letters, digits, _ and :, not starting with __'),
              target: z.number().positive().max(1e12),
              port,
              path: z.string().startsWith('/').max(256).default('/metrics'),
            }),
          }),
        ]),
      )
      .min(1)
      .max(8),
    behavior: z
      .strictObject({
        /** How long a higher count must be asked for before replicas are added (Kubernetes' default: 0). */
        scaleUpWindowSeconds: z.number().int().min(0).max(3600).default(0),
        /** How long a lower count must be asked for before replicas are removed (Kubernetes' default: 300). */
        scaleDownWindowSeconds: z.number().int().min(0).max(3600).default(300),
      })
      .default({ scaleUpWindowSeconds: 0, scaleDownWindowSeconds: 300 }),
  })
  .refine((a) => a.minReplicas <= a.maxReplicas, { message: 'minReplicas cannot be above maxReplicas', path: ['minReplicas'] });

export type AutoscaleSpec = z.output<typeof autoscaleSchema>;

/** A workload's replica count when its manifest gives none; the scheduler reads a document without one the same way. */
export const DEFAULT_REPLICAS = 1;

export const workloadSchema = z
  .strictObject({
    apiVersion: z.literal('shoal/v1'),
    kind: z.literal('Workload'),
    metadata: z.strictObject({
      name: nameSchema,
      namespace: nameSchema.default('default'),
      labels: labelsSchema.optional(),
    }),
    spec: z.strictObject({
      /** What a container runs; a spec with an artifact may leave it out (requireImageOrArtifact). */
      image: z.string().min(1).max(512).optional(),
      /**
       * A content-addressed bundle of files (`shoal artifact push DIR`) the process runtime
       * runs the command in: a copy of it is the replica's working directory. Part of the
       * spec version, so a new artifact is a new revision; a Docker node refuses it.
       */
      artifact: z.string().regex(ARTIFACT_ID, 'an artifact id as `shoal artifact push` prints it: sha256: and 64 lower-case hex digits').optional(),
      command: z.array(z.string()).optional(),
      args: z.array(z.string()).optional(),
      env: z
        .array(
          z.union([
            z.strictObject({ name: z.string().regex(ENV_NAME, 'environment variable names are letters, digits and _'), value: z.string() }),
            z.strictObject({
              name: z.string().regex(ENV_NAME, 'environment variable names are letters, digits and _'),
              valueFrom: z.strictObject({ secretKeyRef: z.strictObject({ name: nameSchema, key: z.string().regex(/^[-._a-zA-Z0-9]{1,100}$/) }) }),
            }),
          ]),
        )
        .optional(),
      /** Secrets as files: each key of the secret becomes a file in mountPath. */
      secrets: z.array(z.strictObject({ name: nameSchema, mountPath: z.string().regex(/^\/[^\0]*$/, 'an absolute path') })).optional(),
      ports: z
        .array(
          z.strictObject({
            containerPort: z.number().int().min(1).max(65535),
            hostPort: z.number().int().min(1).max(65535).optional(),
            protocol: z.enum(['tcp', 'udp']).default('tcp'),
          }),
        )
        .optional(),
      replicas: z.number().int().min(0).max(10_000).default(DEFAULT_REPLICAS),
      /** `global`: one replica on every node the constraints allow (Swarm's global mode, Kubernetes' DaemonSet); `replicas` is then unused. */
      mode: z.enum(['replicated', 'global']).default('replicated'),
      resources: z.strictObject({ cpu: quantity(cpuMillis, '0.5 or 500m').optional(), memory: quantity(memoryBytes, '128Mi').optional() }).optional(),
      placement: z
        .strictObject({
          constraints: z.array(constraintSchema).optional(),
          spreadBy: z.string().regex(LABEL_KEY).optional(),
          maxPerNode: z.number().int().min(1).optional(),
          strategy: z.enum(['spread', 'binpack']).optional(),
        })
        .optional(),
      restartPolicy: z.enum(['always', 'on-failure', 'never']).default('always'),
      /** How a spec change rolls out: Kubernetes' rolling-update fields, in slots. */
      rollout: z
        .strictObject({
          maxUnavailable: z.number().int().min(0).max(10_000).default(1),
          maxSurge: z.number().int().min(0).max(10_000).default(0),
          progressDeadlineSeconds: z.number().min(1).max(86_400).default(120),
        })
        .refine((r) => r.maxUnavailable + r.maxSurge > 0, 'maxUnavailable and maxSurge cannot both be 0')
        .optional(),
      livenessProbe: probe.optional(),
      readinessProbe: probe.optional(),
      /** Linux capabilities the container keeps; all others are dropped. */
      capabilities: z.array(z.string().regex(/^[A-Z_]{2,32}$/, 'capability names are upper-case, such as NET_BIND_SERVICE')).optional(),
      partitionPolicy: z.enum(['available', 'majority']).default('available'),
      autoscale: autoscaleSchema.optional(),
    }),
  })
  .superRefine(({ spec }, ctx) => {
    requireImageOrArtifact(spec, ctx);
    if (spec.autoscale === undefined) return;
    if (spec.mode === 'global') ctx.addIssue({ code: 'custom', path: ['spec', 'autoscale'], message: 'a global workload runs one replica a node: it cannot autoscale' });
    spec.autoscale.metrics.forEach((metric, i) => {
      const resource = 'cpu' in metric ? 'cpu' : 'memory' in metric ? 'memory' : undefined;
      if (resource !== undefined && spec.resources?.[resource] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['spec', 'autoscale', 'metrics', i, resource],
          message: `a ${resource} target is a percent of the replica's request: set resources.${resource}`,
        });
    });
  });

export type Workload = z.infer<typeof workloadSchema>;

export const workloadKey = (namespace: string, workloadName: string): string => `Workload/${namespace}/${workloadName}`;

export const workloadFields = (workload: Workload): Record<string, Json> => manifestFields(workload);

/** Fields back into the manifest shape users wrote. */
export function workloadFromFields(namespace: string, workloadName: string, fields: Record<string, Json>): Record<string, Json> {
  const spec: Record<string, Json> = {};
  for (const [field, value] of Object.entries(fields)) if (field.startsWith('spec.')) spec[field.slice(5)] = value;
  const metadata: Record<string, Json> = { name: workloadName, namespace };
  if (fields['metadata.labels'] !== undefined) metadata.labels = fields['metadata.labels'];
  return { apiVersion: fields.apiVersion ?? 'shoal/v1', kind: 'Workload', metadata, spec };
}

import { z } from 'zod';
import type { Json } from '../../crdt/json.js';
import { manifestFields } from './fields.js';
import { labelsSchema, nameSchema } from './workload.js';

const port = z.number().int().min(1).max(65535);

/** A named port of a service: `port` is what clients dial, `targetPort` what the replica listens on. */
const servicePort = z.strictObject({
  name: nameSchema.optional(),
  port,
  targetPort: port.optional(),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  /** Ingress: every node listens on this port and routes to the service. */
  publish: z.strictObject({ port }).optional(),
});

/** Exactly one of a workload's name and labels that the selected workloads carry. */
const selector = z
  .strictObject({ workload: nameSchema.optional(), labels: labelsSchema.optional() })
  .refine((s) => (s.workload === undefined) !== (s.labels === undefined), 'a selector names a workload or labels, not both and not neither')
  .refine((s) => s.labels === undefined || Object.keys(s.labels).length > 0, 'a label selector needs at least one label');

/** Kubernetes' Service, trimmed to what a node routes: a selector and ports. */
export const serviceSchema = z.strictObject({
  apiVersion: z.literal('shoal/v1'),
  kind: z.literal('Service'),
  metadata: z.strictObject({ name: nameSchema, namespace: nameSchema.default('default'), labels: labelsSchema.optional() }),
  spec: z
    .strictObject({ selector, ports: z.array(servicePort).min(1).max(64) })
    .refine((s) => new Set(s.ports.map((p) => `${p.port}/${p.protocol}`)).size === s.ports.length, 'two ports of a service share a port and protocol')
    .refine((s) => new Set(s.ports.flatMap((p) => (p.name === undefined ? [] : [p.name]))).size === s.ports.filter((p) => p.name !== undefined).length, 'two ports share a name'),
});

export type ServiceManifest = z.infer<typeof serviceSchema>;
export type ServicePort = ServiceManifest['spec']['ports'][number];

export interface Service {
  namespace: string;
  name: string;
  selector: ServiceManifest['spec']['selector'];
  ports: (Omit<ServicePort, 'targetPort'> & { targetPort: number })[];
}

export const serviceKey = (namespace: string, serviceName: string): string => `Service/${namespace}/${serviceName}`;

export const serviceFields = (manifest: ServiceManifest): Record<string, Json> => manifestFields(manifest);

export type ServiceRead = { ok: true; service: Service } | { ok: false; problem: string };

/**
 * A service as the document holds it, checked again: a document field is whatever its
 * writer sent, not what the CLI validated, so a node routes only for a well-formed one.
 */
export function serviceFromFields(namespace: string, name: string, fields: Readonly<Record<string, Json>>): ServiceRead {
  const parsed = serviceSchema.safeParse({
    apiVersion: fields.apiVersion,
    kind: 'Service',
    metadata: { name, namespace, ...(fields['metadata.labels'] === undefined ? {} : { labels: fields['metadata.labels'] }) },
    spec: { selector: fields['spec.selector'], ports: fields['spec.ports'] },
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
  }
  const { selector: sel, ports } = parsed.data.spec;
  return { ok: true, service: { namespace, name, selector: sel, ports: ports.map((p) => ({ ...p, targetPort: p.targetPort ?? p.port })) } };
}

/** Does a workload with these labels and this name fall under the selector? */
export function selects(selector: Service['selector'], workload: { name: string; labels: Readonly<Record<string, string>> }): boolean {
  if (selector.workload !== undefined) return selector.workload === workload.name;
  return Object.entries(selector.labels ?? {}).every(([k, v]) => workload.labels[k] === v);
}

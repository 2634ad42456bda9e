import { checkFields, type Mapping } from '../field-rules.js';
import { ManifestBuilder } from '../manifest-builder.js';
import type { SourcePath, TranslatedObject } from '../translation.js';
import type { KubeContext } from './context.js';
import type { Metadata } from './metadata.js';
import { integer, list, mapping, string, stringMap } from './values.js';

/**
 * A Kubernetes Service as Shoal's: the same selector over the workloads' (pod template)
 * labels, the same ports. Every Shoal node is a load balancer, so a NodePort or
 * LoadBalancer port is published on every node: on its nodePort, or on the port itself
 * for a LoadBalancer.
 */
export function translateService(ctx: KubeContext, object: Mapping, path: SourcePath, metadata: Metadata): TranslatedObject | undefined {
  const d = ctx.diagnostics;
  const at = [...path, 'spec'];
  const spec = mapping(d, object.spec, at) ?? {};
  checkFields(d, spec, at, {
    handled: ['selector', 'ports', 'type'],
    dropped: {
      clusterIP: (v) =>
        v === 'None' ? 'Shoal has no headless services: the name resolves to the service address, which balances over the replicas' : 'Shoal picks the service address itself',
      clusterIPs: 'Shoal picks the service address itself',
      ipFamilies: 'Shoal services are IPv4',
      ipFamilyPolicy: 'Shoal services are IPv4',
      sessionAffinity: (v) => (v === 'None' ? undefined : 'Shoal balances each connection on its own'),
      sessionAffinityConfig: 'Shoal balances each connection on its own',
      externalTrafficPolicy: 'Shoal prefers replicas on the node a connection arrives at, and uses the others when it has none',
      internalTrafficPolicy: 'Shoal prefers replicas on the node a connection arrives at, and uses the others when it has none',
      loadBalancerIP: 'every Shoal node publishes the port on its publish address',
      loadBalancerSourceRanges: 'Shoal does not filter clients by address',
      loadBalancerClass: 'every Shoal node is the load balancer',
      allocateLoadBalancerNodePorts: 'every Shoal node is the load balancer',
      healthCheckNodePort: 'every Shoal node is the load balancer',
      trafficDistribution: 'Shoal prefers replicas on the node a connection arrives at',
    },
    refused: {
      externalName: 'Shoal has no ExternalName services: give the program the name itself',
      externalIPs: 'Shoal publishes on every node: drop externalIPs',
      publishNotReadyAddresses: (v) => (v === true ? 'Shoal routes only to ready replicas' : undefined),
    },
  });
  const type = spec.type ?? 'ClusterIP';
  if (type !== 'ClusterIP' && type !== 'NodePort' && type !== 'LoadBalancer') {
    d.error([...at, 'type'], 'Shoal has ClusterIP, NodePort and LoadBalancer services');
    return undefined;
  }
  const selector = stringMap(d, spec.selector, [...at, 'selector']);
  if (selector === undefined || Object.keys(selector).length === 0) {
    d.error(at, 'a Service without a selector routes to endpoints Shoal does not manage: select the workloads by their labels');
    return undefined;
  }
  const b = new ManifestBuilder('Service', { name: metadata.name, namespace: metadata.namespace, ...(metadata.labels === undefined ? {} : { labels: metadata.labels }) }, path);
  b.set('spec.selector', { labels: selector }, [...at, 'selector']);
  const selected = ctx.workloads.filter((w) => w.namespace === metadata.namespace && Object.entries(selector).every(([k, v]) => w.labels[k] === v));
  const ports: Record<string, unknown>[] = [];
  for (const [i, entry] of list(d, spec.ports, [...at, 'ports']).entries()) {
    const portAt = [...at, 'ports', i];
    const p = mapping(d, entry, portAt);
    if (p === undefined) continue;
    checkFields(d, p, portAt, { handled: ['name', 'port', 'targetPort', 'protocol', 'nodePort'], dropped: { appProtocol: 'Shoal routes bytes, whatever the protocol' } });
    const port = integer(d, p.port, [...portAt, 'port']);
    const protocol = p.protocol ?? 'TCP';
    if (protocol !== 'TCP' && protocol !== 'UDP') d.error([...portAt, 'protocol'], 'Shoal routes TCP and UDP only');
    const targetPort = targetPortOf(ctx, p.targetPort, [...portAt, 'targetPort'], selected);
    const published = type === 'NodePort' ? (integer(d, p.nodePort, [...portAt, 'nodePort']) ?? port) : type === 'LoadBalancer' ? port : undefined;
    if (type === 'NodePort' && p.nodePort === undefined) d.warning(portAt, `no nodePort: Shoal publishes on ${port} itself (Kubernetes would pick one from 30000-32767)`);
    if (type === 'ClusterIP' && p.nodePort !== undefined) d.warning([...portAt, 'nodePort'], 'a ClusterIP service is not published');
    b.cameFrom(`spec.ports.${ports.length}`, portAt);
    ports.push({
      ...(p.name === undefined ? {} : { name: string(d, p.name, [...portAt, 'name']) }),
      port,
      ...(targetPort === undefined ? {} : { targetPort }),
      protocol: protocol === 'UDP' ? 'udp' : 'tcp',
      ...(published === undefined ? {} : { publish: { port: published } }),
    });
  }
  b.set('spec.ports', ports, [...at, 'ports']);
  return b.build();
}

/** A named targetPort is looked up in the container ports of the workloads the service selects in this apply. */
function targetPortOf(ctx: KubeContext, value: unknown, path: SourcePath, selected: KubeContext['workloads']): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  if (typeof value !== 'string') {
    ctx.diagnostics.error(path, 'expected a port number or name');
    return undefined;
  }
  if (/^\d+$/.test(value)) return Number(value);
  const numbers = new Set(selected.flatMap((w) => (w.namedPorts.has(value) ? [w.namedPorts.get(value) as number] : [])));
  if (numbers.size === 1) return [...numbers][0];
  ctx.diagnostics.error(
    path,
    numbers.size === 0
      ? `targetPort '${value}' names no container port of the workloads this service selects in this apply: use the port's number`
      : `targetPort '${value}' is a different port in different workloads (${[...numbers].join(', ')}): Shoal routes a service port to one target port`,
  );
  return undefined;
}

import { stringify } from 'yaml';
import type { NodeEvent } from '../../protocol/api/events.js';
import type { ServiceJson } from '../../protocol/api/services.js';
import { UserError } from '../../node/errors.js';
import { ApiClient, type ApiTarget } from '../client.js';
import { table } from '../table.js';

const short = (peer: string): string => `…${peer.slice(-8)}`;

const selectorText = (s: ServiceJson['selector']): string => {
  if (s === null) return '-';
  const { workload, labels } = s as { workload?: string; labels?: Record<string, string> };
  return workload !== undefined
    ? `workload=${workload}`
    : Object.entries(labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
};

const portsText = (s: ServiceJson): string =>
  s.ports.map((p) => `${p.port}${p.targetPort === p.port ? '' : `:${p.targetPort}`}/${p.protocol}${p.publish === null ? '' : ` (published ${p.publish})`}`).join(', ') || '-';

/** `shoal get services`: each service, its ports and how many endpoints the node asked routes to. */
export async function getServices(opts: { name?: string; namespace: string; output: string; api: ApiTarget; key: string; allNamespaces: boolean }): Promise<void> {
  const all = (await new ApiClient(opts.api, opts.key).get<ServiceJson[]>('/v1/services')) ?? [];
  const services = all.filter((s) => (opts.allNamespaces || s.namespace === opts.namespace) && (opts.name === undefined || s.name === opts.name));
  if (opts.name !== undefined && services.length === 0) throw new UserError(`service ${opts.namespace}/${opts.name} not found`);
  if (!['table', 'json', 'yaml'].includes(opts.output)) throw new UserError(`invalid -o '${opts.output}': expected table, json or yaml`);
  if (opts.output !== 'table') {
    const value = opts.name === undefined ? services : services[0];
    console.log(opts.output === 'json' ? JSON.stringify(value, null, 2) : stringify(value).trimEnd());
    return;
  }
  const rows = services.map((s) => {
    const ready = s.endpoints.filter((e) => e.inRotation).length;
    return [s.namespace, s.name, selectorText(s.selector), portsText(s), `${ready}/${s.endpoints.length}`, s.problem ?? '-'];
  });
  console.log(table(['NAMESPACE', 'NAME', 'SELECTOR', 'PORTS', 'ENDPOINTS', 'PROBLEM'], rows));
}

/** `shoal describe service NAME`: its ports on this node, its endpoints and where this node sends traffic. */
export async function describeService(opts: { name: string; namespace: string; api: ApiTarget; key: string }): Promise<void> {
  const client = new ApiClient(opts.api, opts.key);
  const service = await client.get<ServiceJson>(`/v1/services/${opts.namespace}/${opts.name}`);
  if (service === undefined) throw new UserError(`service ${opts.namespace}/${opts.name} not found`);
  console.log(`Name:       ${service.name}\nNamespace:  ${service.namespace}\nSelector:   ${selectorText(service.selector)}`);
  console.log(`Workloads:  ${service.workloads.join(', ') || '-'}\nProblem:    ${service.problem ?? '-'}`);
  const { dns } = service;
  console.log(`DNS:        ${dns.name} -> ${dns.address ?? '-'}${dns.error === null ? '' : ` (${dns.error})`}`);
  const ports = service.ports.map((p) => [
    p.name ?? '-',
    String(p.port),
    String(p.targetPort),
    p.protocol,
    p.publish === null ? '-' : String(p.publish),
    p.listening === null ? '-' : p.listening ? 'yes' : `no: ${p.error ?? 'not yet'}`,
    p.service === null ? '-' : p.service.listening ? `${p.service.address}:${p.port}` : `no: ${p.service.error ?? 'not yet'}`,
  ]);
  console.log(`\nPorts (this node):\n${table(['NAME', 'PORT', 'TARGET', 'PROTOCOL', 'PUBLISHED', 'LISTENING', 'FOR REPLICAS'], ports)}`);
  const endpoints = service.endpoints.map((e) => [
    e.workload.split('/').slice(1).join('/'),
    String(e.slot),
    short(e.node),
    e.nodeState,
    e.state,
    e.ready ? 'yes' : 'no',
    e.address ?? '-',
    e.inRotation ? (e.route === 'local' ? 'local' : `via ${short(e.node)}`) : `none: ${e.excluded}`,
    String(e.activeConnections),
  ]);
  console.log(
    `\nEndpoints (as this node routes):\n${endpoints.length > 0 ? table(['WORKLOAD', 'SLOT', 'NODE', 'NODE STATE', 'STATE', 'READY', 'ADDRESS', 'TRAFFIC', 'OPEN'], endpoints) : '  none'}`,
  );
  const events = ((await client.get<NodeEvent[]>('/v1/events')) ?? []).filter((e) => e.object === `Service/${service.namespace}/${service.name}`);
  const rows = events.map((e) => [new Date(e.atMs).toISOString(), e.kind, short(e.node), e.message]);
  console.log(`\nEvents (seen by this node):\n${rows.length > 0 ? table(['TIME', 'KIND', 'NODE', 'MESSAGE'], rows) : '  none'}`);
}

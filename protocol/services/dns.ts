import type { Service } from '../manifests/service.js';

export const SERVICE_DOMAIN = 'svc.shoal';
/** Short, since an answer is this node's own address and a service can go at any time. */
export const DNS_TTL_SECONDS = 5;

export type DnsRecord =
  | { type: 'A'; name: string; ttl: number; data: string }
  | { type: 'SRV'; name: string; ttl: number; data: { priority: number; weight: number; port: number; target: string } };

/** What a node answers for one question: records (maybe none), no such name, or not ours to answer. */
export type DnsAnswer = { kind: 'answer'; records: DnsRecord[] } | { kind: 'nxdomain' } | { kind: 'forward' };

/**
 * DNS for services, as Kubernetes' names: `NAME.NAMESPACE.svc.shoal` has an A record, the
 * service's own address on the asking replica's node (whose mesh then picks an endpoint),
 * and `_PORT._PROTOCOL.NAME.NAMESPACE.svc.shoal` an SRV record for each named
 * port. A name under svc.shoal that names no service does not exist; any other name is
 * passed on to the host's resolvers.
 */
export function answerQuestion(question: { name: string; type: string }, services: readonly Service[], addressOf: (service: string) => string | undefined): DnsAnswer {
  const name = question.name.toLowerCase().replace(/\.$/, '');
  if (name !== SERVICE_DOMAIN && !name.endsWith(`.${SERVICE_DOMAIN}`)) return { kind: 'forward' };
  const labels = name.slice(0, -(SERVICE_DOMAIN.length + 1)).split('.');
  const srv = labels.length === 4 && labels[0]?.startsWith('_') && labels[1]?.startsWith('_');
  const [serviceName, namespace] = srv ? labels.slice(2) : labels;
  if (labels.length !== (srv ? 4 : 2) || serviceName === undefined || namespace === undefined) return { kind: 'nxdomain' };
  const service = services.find((s) => s.name === serviceName && s.namespace === namespace);
  const address = addressOf(`${namespace}/${serviceName}`);
  if (service === undefined || address === undefined) return { kind: 'nxdomain' };
  const target = `${serviceName}.${namespace}.${SERVICE_DOMAIN}`;
  if (!srv) return { kind: 'answer', records: question.type === 'A' ? [{ type: 'A', name: question.name, ttl: DNS_TTL_SECONDS, data: address }] : [] };
  const portName = labels[0]?.slice(1);
  const protocol = labels[1]?.slice(1);
  const port = service.ports.find((p) => p.name === portName && p.protocol === protocol);
  if (port === undefined) return { kind: 'nxdomain' };
  return {
    kind: 'answer',
    records: question.type === 'SRV' ? [{ type: 'SRV', name: question.name, ttl: DNS_TTL_SECONDS, data: { priority: 0, weight: 0, port: port.port, target } }] : [],
  };
}

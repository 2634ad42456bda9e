import type { FastifyInstance } from 'fastify';
import type { ApiErrorBody } from '../../protocol/api/errors.js';
import type { ServiceJson } from '../../protocol/api/services.js';
import { selectedWorkloads } from '../../protocol/services/endpoints.js';
import type { CatalogEntry } from '../services/catalog.js';
import type { Services } from '../services/services.js';
import { SERVICE_DOMAIN } from '../../protocol/services/dns.js';

function serviceJson(entry: CatalogEntry, { catalog, mesh, ingress, entry: inCluster, dns }: Services): ServiceJson {
  const base = { namespace: entry.namespace, name: entry.name, dns: { name: `${entry.name}.${entry.namespace}.${SERVICE_DOMAIN}`, ...dns.state() } };
  if (entry.service === undefined) return { ...base, problem: entry.problem, selector: null, ports: [], workloads: [], endpoints: [] };
  const { service } = entry;
  const published = ingress.states().filter((s) => s.listened.service === entry.id);
  const own = inCluster.states().filter((s) => s.listened.service === entry.id);
  const workloads = selectedWorkloads(service, catalog.workloads()).map((w) => w.key);
  return {
    ...base,
    problem: workloads.length === 0 ? 'the selector matches no workload' : null,
    selector: service.selector,
    ports: service.ports.map((p) => {
      const listener = published.find((l) => l.listened.servicePort === p.port && l.listened.protocol === p.protocol);
      const dialled = own.find((l) => l.listened.servicePort === p.port && l.listened.protocol === p.protocol);
      return {
        name: p.name ?? null,
        port: p.port,
        targetPort: p.targetPort,
        protocol: p.protocol,
        publish: p.publish?.port ?? null,
        listening: p.publish === undefined ? null : (listener?.listening ?? false),
        error: listener?.error ?? null,
        service: dialled === undefined ? null : { address: dialled.listened.address, listening: dialled.listening, error: dialled.error },
      };
    }),
    workloads,
    endpoints: catalog.endpoints(service).map((e) => ({
      workload: e.workload,
      slot: e.slot,
      epoch: e.epoch,
      node: e.node,
      nodeState: e.nodeState,
      state: e.state,
      ready: e.ready,
      address: e.address ?? null,
      inRotation: e.excluded === null,
      excluded: e.excluded,
      route: e.local ? 'local' : 'mesh',
      activeConnections: mesh.activeTo(e),
    })),
  };
}

export function registerServiceRoutes(app: FastifyInstance, services: Services): void {
  const { catalog } = services;
  app.get('/v1/services', async () => catalog.entries().map((e) => serviceJson(e, services)));
  app.get<{ Params: { namespace: string; name: string } }>('/v1/services/:namespace/:name', async (request, reply) => {
    const entry = catalog.entry(`${request.params.namespace}/${request.params.name}`);
    if (entry === undefined)
      return reply.code(404).send({ error: 'not-found', detail: `service ${request.params.namespace}/${request.params.name} not found` } satisfies ApiErrorBody);
    return serviceJson(entry, services);
  });
}

import type { FastifyInstance } from 'fastify';

import { selectedWorkloads } from '../../protocol/services/endpoints.js';
import type { CatalogEntry, ServiceCatalog } from '../services/catalog.js';
import type { ServiceMesh } from '../services/mesh.js';
import type { TcpIngress } from '../services/tcp-ingress.js';

/** One endpoint as `shoal describe service` shows it, from the node asked. */
export interface EndpointJson {
  workload: string;
  slot: number;
  epoch: number;
  node: string;
  nodeState: string;
  state: string;
  ready: boolean;
  address: string | null;
  /** In this node's rotation; else `excluded` says why not. */
  inRotation: boolean;
  excluded: string | null;
  /** How this node reaches it: `local`, or through its node's mesh stream. */
  route: 'local' | 'mesh';
  activeConnections: number;
}

export interface ServicePortJson {
  name: string | null;
  port: number;
  targetPort: number;
  protocol: string;
  publish: number | null;
  /** On this node: listening on the published port, or why not (null when not published). */
  listening: boolean | null;
  error: string | null;
}

export interface ServiceJson {
  namespace: string;
  name: string;
  /** A service the document holds in a shape no node routes: what is wrong with it. */
  problem: string | null;
  selector: object | null;
  ports: ServicePortJson[];
  workloads: string[];
  endpoints: EndpointJson[];
}

function serviceJson(entry: CatalogEntry, catalog: ServiceCatalog, mesh: ServiceMesh, ingress: TcpIngress): ServiceJson {
  const base = { namespace: entry.namespace, name: entry.name };
  if (entry.service === undefined) return { ...base, problem: entry.problem, selector: null, ports: [], workloads: [], endpoints: [] };
  const { service } = entry;
  const listeners = ingress.states().filter((s) => s.published.service === entry.id);
  const workloads = selectedWorkloads(service, catalog.workloads()).map((w) => w.key);
  return {
    ...base,
    problem: workloads.length === 0 ? 'the selector matches no workload' : null,
    selector: service.selector,
    ports: service.ports.map((p) => {
      const listener = listeners.find((l) => l.published.servicePort === p.port && l.published.protocol === p.protocol);
      return {
        name: p.name ?? null,
        port: p.port,
        targetPort: p.targetPort,
        protocol: p.protocol,
        publish: p.publish?.port ?? null,
        listening: p.publish === undefined ? null : (listener?.listening ?? false),
        error: listener?.error ?? null,
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

export function registerServiceRoutes(app: FastifyInstance, catalog: ServiceCatalog, mesh: ServiceMesh, ingress: TcpIngress): void {
  app.get('/v1/services', async () => catalog.entries().map((e) => serviceJson(e, catalog, mesh, ingress)));
  app.get<{ Params: { namespace: string; name: string } }>('/v1/services/:namespace/:name', async (request, reply) => {
    const entry = catalog.entry(`${request.params.namespace}/${request.params.name}`);
    if (entry === undefined) return reply.code(404).send({ error: 'not-found', detail: `service ${request.params.namespace}/${request.params.name} not found` });
    return serviceJson(entry, catalog, mesh, ingress);
  });
}

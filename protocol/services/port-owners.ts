import type { Service } from '../manifests/service.js';

/** A port a node listens on for a service, and the address it listens on. */
export interface ListenedPort {
  service: string;
  address: string;
  port: number;
  protocol: 'tcp' | 'udp';
  /** The service's own port it stands for. */
  servicePort: number;
}

export interface PortOwners {
  /** By `<address>:<port>/<protocol>`: the one service each port routes to. */
  owners: Map<string, ListenedPort>;
  /** Ports another service already holds, with the holder named. */
  clashes: { listened: ListenedPort; heldBy: string }[];
}

export const serviceId = (s: Pick<Service, 'namespace' | 'name'>): string => `${s.namespace}/${s.name}`;

export const portKey = (p: Pick<ListenedPort, 'port' | 'protocol'>): string => `${p.port}/${p.protocol}`;

const listenKey = (p: ListenedPort): string => `${p.address}:${portKey(p)}`;

/**
 * Who owns each port: of services that want the same port and protocol on one address,
 * the first by namespace and name, on every node alike (so a clash routes the same way
 * everywhere and the others are reported, not raced for).
 */
function owners(services: readonly Service[], wanted: (service: Service) => ListenedPort[]): PortOwners {
  const held = new Map<string, ListenedPort>();
  const clashes: PortOwners['clashes'] = [];
  const ordered = [...services].sort((a, b) => (serviceId(a) < serviceId(b) ? -1 : serviceId(a) > serviceId(b) ? 1 : 0));
  for (const service of ordered) {
    for (const listened of wanted(service)) {
      const holder = held.get(listenKey(listened));
      if (holder === undefined) held.set(listenKey(listened), listened);
      else clashes.push({ listened, heldBy: holder.service });
    }
  }
  return { owners: held, clashes };
}

/** Ingress: the ports services publish, on every node's publish address. */
export const publishedPorts = (services: readonly Service[], address: string): PortOwners =>
  owners(services, (s) =>
    s.ports.flatMap((p) => (p.publish === undefined ? [] : [{ service: serviceId(s), address, port: p.publish.port, protocol: p.protocol, servicePort: p.port }])),
  );

/** In-cluster: each service's own ports on its own address (service-addresses.ts), which this node's replicas dial. */
export const servicePorts = (services: readonly Service[], addresses: ReadonlyMap<string, string>): PortOwners =>
  owners(services, (s) => {
    const address = addresses.get(serviceId(s));
    return address === undefined ? [] : s.ports.map((p) => ({ service: serviceId(s), address, port: p.port, protocol: p.protocol, servicePort: p.port }));
  });

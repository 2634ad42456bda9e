import type { Service } from '../manifests/service.js';

/** A port every node listens on for a service. */
export interface PublishedPort {
  service: string;
  port: number;
  protocol: 'tcp' | 'udp';
  /** The service's own port it stands for. */
  servicePort: number;
}

export interface PublishedPorts {
  /** By `<port>/<protocol>`: the one service each published port routes to. */
  owners: Map<string, PublishedPort>;
  /** Published ports another service already holds, with the holder named. */
  clashes: { published: PublishedPort; heldBy: string }[];
}

export const serviceId = (s: Pick<Service, 'namespace' | 'name'>): string => `${s.namespace}/${s.name}`;

/**
 * Who owns each published port: of services that publish the same port and protocol,
 * the first by namespace and name, on every node alike (so a clash routes the same way
 * everywhere and the others are reported, not raced for).
 */
export function publishedPorts(services: readonly Service[]): PublishedPorts {
  const owners = new Map<string, PublishedPort>();
  const clashes: PublishedPorts['clashes'] = [];
  const ordered = [...services].sort((a, b) => (serviceId(a) < serviceId(b) ? -1 : serviceId(a) > serviceId(b) ? 1 : 0));
  for (const service of ordered) {
    for (const p of service.ports) {
      if (p.publish === undefined) continue;
      const published: PublishedPort = { service: serviceId(service), port: p.publish.port, protocol: p.protocol, servicePort: p.port };
      const key = `${published.port}/${published.protocol}`;
      const holder = owners.get(key);
      if (holder === undefined) owners.set(key, published);
      else clashes.push({ published, heldBy: holder.service });
    }
  }
  return { owners, clashes };
}

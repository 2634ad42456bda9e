import type { Libp2p } from '@libp2p/interface';
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.js';
import { createRandom } from '../../base/random.js';
import { publishedPorts, servicePorts } from '../../protocol/services/port-owners.js';
import { serviceAddresses } from '../../protocol/services/service-addresses.js';
import { serviceEnv } from '../../protocol/services/service-env.js';
import type { ContainerRuntime, ReplicaOwner, ServiceEnv } from '../agent/runtime.js';
import type { EventLog } from '../event-log.js';
import type { SchedulerService } from '../scheduler-service.js';
import type { StateService } from '../state-service.js';
import type { SwimService } from '../swim/service.js';
import { ServiceCatalog } from './catalog.js';
import { DnsServer } from './dns-server.js';
import { ServiceMesh } from './mesh.js';
import { PortListeners } from './port-listeners.js';
import { ServiceAddresses } from './service-address.js';

/** A node's services: what it knows of them, its mesh, its listeners (published and in-cluster) and its DNS. */
export interface Services {
  catalog: ServiceCatalog;
  mesh: ServiceMesh;
  ingress: PortListeners;
  entry: PortListeners;
  dns: DnsServer;
  stop(): Promise<void>;
}

export interface ServicesOptions {
  host: Libp2p;
  state: StateService;
  scheduler: SchedulerService;
  swim: SwimService;
  runtime: ContainerRuntime;
  owner: ReplicaOwner;
  events: EventLog;
  log: Logger;
  /** Where published ports listen (`--publish-address`). */
  publishAddress: string;
  /** Whether a peer id is an admitted node: only those may open mesh streams. */
  admitted: (peerId: string) => boolean;
  /** The node's wall clock (node/wall-clock.ts), for the listeners' events. */
  clock: Clock;
}

/**
 * What a runtime made before the services asks of them when it starts a replica: its
 * environment, and whether to point it at the node's DNS. Bound once they start.
 */
export class ServicesForRuntime {
  private services: Services | undefined;

  bind(services: Services): void {
    this.services = services;
  }

  readonly env: ServiceEnv = (namespace, network) => {
    if (this.services === undefined) return {};
    const all = this.services.catalog.services();
    const addresses = serviceAddresses(all, network.pool);
    return serviceEnv(all, namespace, (id) => addresses.get(id));
  };

  readonly dnsListening = (): boolean => this.services?.dns.state().listening === true;
}

export async function startServices(o: ServicesOptions): Promise<Services> {
  const catalog = new ServiceCatalog(o.state, o.scheduler, o.swim);
  const mesh = new ServiceMesh(o.host, catalog, o.swim, o.admitted, createRandom(randomInt(2 ** 32)), o.log);
  await mesh.start();
  const ingress = new PortListeners({ role: 'published', owners: (services) => publishedPorts(services, o.publishAddress) }, catalog, mesh, o.events, o.log, o.clock);
  ingress.start();
  const dns: DnsServer = new DnsServer(catalog, (id): string | undefined => addresses.addressOf(id), o.log);
  const addresses: ServiceAddresses = new ServiceAddresses(o.runtime, o.owner, catalog, o.log, (network): Promise<void> => dns.listen(network.dnsAddress));
  addresses.start();
  const entry = new PortListeners(
    {
      role: 'service',
      owners: (services) => servicePorts(services, addresses.all()),
      claim: (address) => addresses.current?.claim(address),
      release: (address) => addresses.current?.release(address),
    },
    catalog,
    mesh,
    o.events,
    o.log,
    o.clock,
  );
  entry.start();
  return {
    catalog,
    mesh,
    ingress,
    entry,
    dns,
    stop: async () => {
      // In-cluster listeners first: closing them takes their addresses off the bridge.
      await entry.stop();
      addresses.stop();
      await dns.stop();
      await ingress.stop();
      await mesh.stop();
    },
  };
}

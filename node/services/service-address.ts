import type { Logger } from 'pino';
import type { Service } from '../../protocol/manifests/service.js';
import { serviceAddresses } from '../../protocol/services/service-addresses.js';
import type { ContainerRuntime, ReplicaOwner, ServiceNetwork } from '../agent/runtime.js';
import type { ServiceCatalog } from './catalog.js';

const RETRY_MS = 5_000;

/**
 * Where this node's own replicas reach its DNS and each service, as its runtime says (the
 * replicas bridge, or loopback addresses of the node's own). A Docker network may not
 * exist yet at start: the runtime is asked again until it answers.
 */
export class ServiceAddresses {
  private network: ServiceNetwork | undefined;
  /** Every DNS answer and listener pass asks: computed again only when the services or the network change. */
  private cached: { services: readonly Service[]; network: ServiceNetwork; addresses: Map<string, string> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly owner: ReplicaOwner,
    private readonly catalog: ServiceCatalog,
    private readonly log: Logger,
    /** Called once the network is known: the DNS server listens then. */
    private readonly onKnown: (network: ServiceNetwork) => Promise<void>,
  ) {}

  get current(): ServiceNetwork | undefined {
    return this.network;
  }

  /** Each well-formed service's own address on this node; none while the network is not known. */
  all(): Map<string, string> {
    const { network } = this;
    if (network === undefined) return new Map();
    const services = this.catalog.services();
    if (this.cached?.services !== services || this.cached.network !== network) this.cached = { services, network, addresses: serviceAddresses(services, network.pool) };
    return this.cached.addresses;
  }

  addressOf(service: string): string | undefined {
    return this.all().get(service);
  }

  start(): void {
    void this.resolve();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async resolve(): Promise<void> {
    try {
      this.network = await this.runtime.serviceNetwork(this.owner);
    } catch (e) {
      this.log.warn({ error: (e as Error).message }, 'no service network yet: the runtime could not say where its replicas reach the node');
    }
    if (this.stopped) return;
    if (this.network === undefined) {
      this.timer = setTimeout(() => void this.resolve(), RETRY_MS);
      return;
    }
    await this.onKnown(this.network);
  }
}

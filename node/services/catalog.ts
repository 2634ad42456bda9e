import { serviceFromFields, type Service } from '../../protocol/manifests/service.js';
import { serviceEndpoints, slotReplica, type Endpoint, type SelectableWorkload, type SlotReplica } from '../../protocol/services/endpoints.js';
import { serviceId } from '../../protocol/services/port-owners.js';
import { statusKey } from '../../protocol/scheduler/from-document.js';
import type { SchedulerService } from '../scheduler-service.js';
import type { StateService } from '../state-service.js';
import type { SwimService } from '../swim/service.js';

/** A Service object of the document: routed if well-formed, else its problem. */
export type CatalogEntry = { id: string; namespace: string; name: string } & ({ service: Service; problem?: undefined } | { service?: undefined; problem: string });

const isLabels = (v: unknown): v is Record<string, string> => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/**
 * What this node knows of services: the Service objects of its document, the workloads
 * they may select, and each placed replica with what its node last reported. Every node
 * builds it from its own document, scheduler plan and SWIM view, and asks no one.
 */
export class ServiceCatalog {
  /** Bumped by every change to the document: what is read from it is kept until then. */
  private version = 0;
  private cached: { version: number; entries: CatalogEntry[]; services: Service[]; workloads: SelectableWorkload[] } | undefined;
  private cachedReplicas: { version: number; plan: unknown; replicas: SlotReplica[] } | undefined;

  constructor(
    private readonly state: StateService,
    private readonly scheduler: SchedulerService,
    private readonly swim: SwimService,
  ) {
    // Every routed connection reads the catalog: it is rebuilt when the document or the plan changes, not per connection.
    state.onChange(() => this.version++);
  }

  private read(): { entries: CatalogEntry[]; services: Service[]; workloads: SelectableWorkload[] } {
    if (this.cached?.version !== this.version) {
      const entries = this.readEntries();
      const services = entries.flatMap((e) => (e.service === undefined ? [] : [e.service]));
      this.cached = { version: this.version, entries, services, workloads: this.readWorkloads() };
    }
    return this.cached;
  }

  get self(): string {
    return this.swim.id;
  }

  entries(): CatalogEntry[] {
    return this.read().entries;
  }

  private readEntries(): CatalogEntry[] {
    const { document } = this.state.replica;
    return document.keys('Service').flatMap((key): CatalogEntry[] => {
      const [, namespace = '', name = ''] = key.split('/');
      const fields = document.get(key);
      if (fields === undefined) return [];
      const read = serviceFromFields(namespace, name, fields);
      const id = serviceId({ namespace, name });
      return [read.ok ? { id, namespace, name, service: read.service } : { id, namespace, name, problem: read.problem }];
    });
  }

  /** The well-formed services; the same array until the document changes, so what is derived from it can be kept. */
  services(): Service[] {
    return this.read().services;
  }

  entry(id: string): CatalogEntry | undefined {
    return this.entries().find((e) => e.id === id);
  }

  workloads(): SelectableWorkload[] {
    return this.read().workloads;
  }

  private readWorkloads(): SelectableWorkload[] {
    const { document } = this.state.replica;
    return document.keys('Workload').map((key) => {
      const [, namespace = '', name = ''] = key.split('/');
      const labels = document.get(key)?.['metadata.labels'];
      return { key, namespace, name, labels: isLabels(labels) ? labels : {} };
    });
  }

  replicas(): SlotReplica[] {
    const plan = this.scheduler.plan;
    if (this.cachedReplicas?.version !== this.version || this.cachedReplicas.plan !== plan) this.cachedReplicas = { version: this.version, plan, replicas: this.readReplicas() };
    return this.cachedReplicas.replicas;
  }

  private readReplicas(): SlotReplica[] {
    const { document } = this.state.replica;
    return (this.scheduler.plan?.placed ?? []).map((p) => {
      const placed = { workload: p.workload.key, slot: p.index, epoch: p.assignment.epoch, node: p.assignment.node };
      return slotReplica(placed, document.get(statusKey(placed.workload, placed.slot))?.[placed.node]);
    });
  }

  endpoints(service: Service): Endpoint[] {
    return serviceEndpoints(service, this.workloads(), this.replicas(), (node) => this.swim.member(node)?.state ?? 'unknown', this.swim.id);
  }
}

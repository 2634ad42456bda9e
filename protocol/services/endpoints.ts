import { selects, type Service } from '../manifests/service.js';

/** A workload as a selector sees it. */
export interface SelectableWorkload {
  /** `Workload/<namespace>/<name>`. */
  key: string;
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** A placed slot of a workload and what its node last reported of its replica (this node's own too: the status it wrote). */
export interface SlotReplica {
  workload: string;
  slot: number;
  epoch: number;
  node: string;
  state: string;
  ready: boolean;
  /** Where the replica answers, on its own node; only the node that runs it connects to it. */
  address?: string | undefined;
}

export type NotInRotation = 'not running' | 'not ready' | 'node suspect' | 'node dead' | 'no address';

export interface Endpoint extends SlotReplica {
  /** The replica's node as this node's SWIM sees it. */
  nodeState: string;
  local: boolean;
  /** Null when this node routes to it; else why not. */
  excluded: NotInRotation | null;
}

/** The workloads a service selects: its own namespace's, by name or by labels. */
export function selectedWorkloads(service: Service, workloads: readonly SelectableWorkload[]): SelectableWorkload[] {
  return workloads.filter((w) => w.namespace === service.namespace && selects(service.selector, w));
}

function exclusion(replica: SlotReplica, nodeState: string, local: boolean): NotInRotation | null {
  if (!local && nodeState === 'suspect') return 'node suspect';
  if (!local && nodeState !== 'alive') return 'node dead';
  if (replica.state !== 'running') return 'not running';
  if (!replica.ready) return 'not ready';
  if (local && replica.address === undefined) return 'no address';
  return null;
}

/**
 * A service's endpoints as one node sees them: every placed replica of the selected
 * workloads, in its rotation only while running and ready on a node its SWIM sees
 * alive. Each node decides from what it holds, so a cut-off side routes to what it can
 * reach and waits on nobody.
 */
export function serviceEndpoints(
  service: Service,
  workloads: readonly SelectableWorkload[],
  replicas: readonly SlotReplica[],
  nodeState: (node: string) => string,
  self: string,
): Endpoint[] {
  const selected = new Set(selectedWorkloads(service, workloads).map((w) => w.key));
  return replicas
    .filter((r) => selected.has(r.workload))
    .map((r) => {
      const local = r.node === self;
      const state = local ? 'alive' : nodeState(r.node);
      return { ...r, nodeState: state, local, excluded: exclusion(r, state, local) };
    })
    .sort((a, b) => (a.workload < b.workload ? -1 : a.workload > b.workload ? 1 : a.slot - b.slot));
}

/** An endpoint's identity in a rotation: one replica of one slot. */
export const endpointId = (e: Pick<SlotReplica, 'workload' | 'slot' | 'epoch'>): string => `${e.workload}#${e.slot}@${e.epoch}`;

/**
 * A placed slot's replica from its node's status value in the document, read field by
 * field: a status is whatever its node wrote. One of another epoch, or none, is pending.
 */
export function slotReplica(placed: { workload: string; slot: number; epoch: number; node: string }, status: unknown): SlotReplica {
  const s = typeof status === 'object' && status !== null ? (status as Record<string, unknown>) : {};
  const current = s.epoch === placed.epoch;
  const state = current && typeof s.state === 'string' ? s.state : 'pending';
  return {
    ...placed,
    state,
    ready: current && state === 'running' && s.ready !== false,
    address: current && typeof s.address === 'string' && s.address.length > 0 && s.address.length <= 64 ? s.address : undefined,
  };
}

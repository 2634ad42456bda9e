import type Dockerode from 'dockerode';
import type { Json } from '../../../crdt/index.js';
import type { PlacementJson } from '../../../protocol/api/placements.js';
import type { NodeJson } from '../../../protocol/api/nodes.js';
import { identityFromLabels, LABEL } from '../../../node/agent/labels.js';
import type { OperatorKey } from '../../../node/operator-key.js';
import type { Endpoint } from '../../../cli/client.js';
import { slotKey } from '../../../protocol/auction/slot.js';
import type { Testnet, TestnetNode } from '../testnet.js';
import { failureText, getJson } from './http.js';
import { slotCensus } from './slots.js';
import type { NodeSnapshot, RunningReplica, Snapshot, WorkloadObject } from './snapshot.js';
import type { Sample } from './timeline.js';

/**
 * Longer than a client's (2 s, clients.ts): a client's late answer is a failed write it
 * counts, a sample's is a gap in the record. A silent node holds a sample this long, and
 * samples overlap (MAX_IN_FLIGHT in sampler.ts), so the period stays short; at 1.5 s
 * every sample of a healthy testnet failed for a minute on a machine at a load of 16.
 */
const OBSERVE_TIMEOUT_MS = 5_000;

interface StatusJson {
  liveMembers: number;
  /** Absent on a node older than the counter. */
  swim?: { deaths?: number; worstLagMs?: number };
  state: { digest: { count: number; xor: string }; equivocationReports: unknown[] };
}

const slotOf = (r: RunningReplica): string => slotKey({ workload: r.workload, index: r.slot });
const digestOf = (status: StatusJson): string => `${status.state.digest.count}:${status.state.digest.xor}`;
const deadline = (): AbortSignal => AbortSignal.timeout(OBSERVE_TIMEOUT_MS);
const workloadsOf = async (api: Endpoint, operator: OperatorKey): Promise<WorkloadObject[]> =>
  (await getJson<{ key: string; fields: Record<string, Json> }[]>(api, operator, '/v1/objects?kind=Workload', deadline())).map(({ key, fields }) => ({ key, fields }));

export async function nodeSnapshot(node: TestnetNode, operator: OperatorKey): Promise<NodeSnapshot> {
  const { name, peerId, api } = node;
  try {
    const [status, workloads, placements, members] = await Promise.all([
      getJson<StatusJson>(api, operator, '/v1/status', deadline()),
      workloadsOf(api, operator),
      getJson<PlacementJson[]>(api, operator, '/v1/placements', deadline()),
      getJson<NodeJson[]>(api, operator, '/v1/nodes', deadline()),
    ]);
    return {
      node: name,
      peerId,
      view: { digest: digestOf(status), liveMembers: status.liveMembers, equivocations: status.state.equivocationReports, workloads, placements, members },
      error: null,
    };
  } catch (e) {
    return { node: name, peerId, view: null, error: failureText(e, OBSERVE_TIMEOUT_MS) };
  }
}

/** The cluster's replica containers the host engine runs, read back from their labels. */
export async function runningReplicas(docker: Dockerode, cluster: string): Promise<RunningReplica[]> {
  const containers = await docker.listContainers({ filters: { label: [`${LABEL.cluster}=${cluster}`], status: ['running'] } });
  return containers.flatMap((c) => {
    const identity = identityFromLabels(c.Labels);
    const node = c.Labels[LABEL.node];
    return identity === undefined || node === undefined ? [] : [{ container: c.Id, node, workload: identity.workload, slot: identity.slot, epoch: identity.epoch }];
  });
}

export async function takeSnapshot(testnet: Testnet, docker: Dockerode): Promise<Snapshot> {
  const atMs = Date.now();
  const operator = testnet.signer;
  const [nodes, replicas] = await Promise.all([Promise.all(testnet.nodes.map((n) => nodeSnapshot(n, operator))), runningReplicas(docker, testnet.cluster)]);
  return { atMs, nodes, replicas };
}

/**
 * One sample: each node's digest and member count, and per slot how many containers run
 * for it. The slots come from the first node that answers; until the digests agree, the
 * sample does not count as converged anyway.
 */
export async function takeSample(testnet: Testnet, docker: Dockerode): Promise<Sample> {
  const atMs = Date.now();
  const operator = testnet.signer;
  const [statuses, replicas] = await Promise.all([
    Promise.all(testnet.nodes.map((n) => getJson<StatusJson>(n.api, operator, '/v1/status', deadline()).catch(() => null))),
    runningReplicas(docker, testnet.cluster),
  ]);
  const reader = testnet.nodes.find((_, i) => statuses[i] !== null);
  const workloads = reader === undefined ? null : await workloadsOf(reader.api, operator).catch(() => null);
  const census = slotCensus(workloads ?? [], replicas);
  const perSlot = new Map<string, string[]>();
  for (const r of replicas) perSlot.set(slotOf(r), [...(perSlot.get(slotOf(r)) ?? []), `${r.node}@${r.epoch}`]);
  const duplicated = [...perSlot].filter(([, on]) => on.length > 1);
  return {
    atMs,
    digests: statuses.map((s) => (s === null || workloads === null ? null : digestOf(s))),
    liveMembers: statuses.map((s) => s?.liveMembers ?? null),
    deaths: statuses.map((s) => s?.swim?.deaths ?? null),
    worstLagMs: statuses.map((s) => s?.swim?.worstLagMs ?? null),
    duplicated: duplicated.map(([slot]) => slot),
    duplicatedOn: Object.fromEntries(duplicated),
    missing: census.missing,
    orphans: census.orphans.map(slotOf),
  };
}

import { join } from 'node:path';
import Dockerode from 'dockerode';
import { DockerRuntime, REPLICAS_NETWORK, removeIdleReplicasNetworks } from '../../node/agent/docker-runtime.js';
import { ProcessRuntime } from '../../node/agent/process-runtime.js';
import type { ContainerRuntime } from '../../node/agent/runtime.js';
import { loadCluster } from '../../node/cluster.js';
import type { ObservedReplica } from '../../protocol/agent/replica.js';
import type { ShoalNodeProcess } from './shoal-process.js';

/** What a node's replicas are found by: its data directory (the cluster, the process runtime's records) and its peer id. */
export type ReplicaHolder = Pick<ShoalNodeProcess, 'dataDir' | 'peerId'>;

/**
 * The replicas of a local cluster's nodes as their runtimes hold them, read through
 * the runtimes themselves: replicas outlive their node by design, so tests and
 * testnets look at them, and remove them at the end, this way.
 */
export class LocalReplicas {
  private readonly runtimes = new Map<string, ContainerRuntime>();

  /** `networks`: the replicas networks to remove at the end, when the nodes were given their own (`--replicas-network`). */
  constructor(
    private readonly kind: 'docker' | 'process',
    private readonly networks: readonly string[] = [REPLICAS_NETWORK],
  ) {}

  async of(node: ReplicaHolder): Promise<ObservedReplica[]> {
    return this.runtimeOf(node).list(this.ownerOf(node));
  }

  async running(nodes: readonly ReplicaHolder[]): Promise<Map<string, ObservedReplica[]>> {
    const out = new Map<string, ObservedReplica[]>();
    for (const node of nodes)
      out.set(
        node.peerId,
        (await this.of(node)).filter((r) => r.state === 'running'),
      );
    return out;
  }

  async removeAll(nodes: readonly ReplicaHolder[]): Promise<void> {
    for (const node of nodes) {
      const runtime = this.runtimeOf(node);
      for (const replica of await runtime.list(this.ownerOf(node)).catch(() => [])) await runtime.remove(replica.id, 0).catch(() => undefined);
    }
    if (this.kind === 'docker') await removeIdleReplicasNetworks(new Dockerode(), this.networks).catch(() => undefined);
  }

  private ownerOf(node: ReplicaHolder): { cluster: string; node: string } {
    return { cluster: loadCluster(node.dataDir).id, node: node.peerId };
  }

  private runtimeOf(node: ReplicaHolder): ContainerRuntime {
    let runtime = this.runtimes.get(node.dataDir);
    if (runtime === undefined) {
      runtime = this.kind === 'docker' ? new DockerRuntime() : new ProcessRuntime({ dir: join(node.dataDir, 'replicas') });
      this.runtimes.set(node.dataDir, runtime);
    }
    return runtime;
  }
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fenceKeeperLockPath } from '../../node/agent/fence-record.js';
import { dataPaths, lockHolder } from '../../node/data-dir.js';
import type { ObservedReplica } from '../../protocol/agent/replica.js';
import { endFenceKeepers } from '../../testnet/local/fence-keepers.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { eventLines, placements, until } from './scheduling-scenario.js';

/**
 * `majority` on real processes, for either runtime: a singleton's node is killed with
 * kill -9, and its replica, which outlives the node, is removed by the fence keeper
 * before the majority side runs the slot elsewhere, while an `available` replica on that
 * node keeps running; a node stopped gracefully removes its majority replica before it
 * leaves. Local preset: fence 3 s, the majority re-places after dead + 6 s.
 */
/** One `majority` replica: the fence scenarios' subject (also majority-cut-scenario.ts). */
export const SOLO_MANIFEST = `apiVersion: shoal/v1
kind: Workload
metadata: {name: solo}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "while true; do sleep 1; done"]
  replicas: 1
  partitionPolicy: majority
  resources: {cpu: 100m, memory: 16Mi}
`;

const MANIFESTS = `${SOLO_MANIFEST}---
apiVersion: shoal/v1
kind: Workload
metadata: {name: crowd}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "while true; do sleep 1; done"]
  replicas: 3
  placement: {maxPerNode: 1}
  resources: {cpu: 100m, memory: 16Mi}
`;

export const SOLO = 'Workload/default/solo';

const keeperOf = (node: ShoalNodeProcess): number | undefined => lockHolder(fenceKeeperLockPath(dataPaths(node.dataDir).root));

/** The node `observer` sees running solo, once it sees all four replicas running on live nodes. */
const soloNode = (observer: ShoalNodeProcess) => async (): Promise<string | undefined> => {
  const all = await placements(observer);
  const running = all.filter((p) => p.state === 'running' && p.nodeState === 'alive');
  return running.length === 4 ? (running.find((p) => p.name === 'solo')?.node ?? undefined) : undefined;
};

export async function majorityFenceScenario(runtime: 'docker' | 'process', dir: string): Promise<void> {
  const replicas = new LocalReplicas(runtime);
  const cluster: LocalCluster = await startLocalCluster({ dir, nodes: 3, args: ['--runtime', runtime] });
  try {
    const first = cluster.nodes[0] as ShoalNodeProcess;
    await waitForMembers(first.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 20_000);
    writeFileSync(join(dir, 'workloads.yaml'), MANIFESTS);
    const applied = await runShoal(['apply', '-f', join(dir, 'workloads.yaml'), '--api', first.apiAddress, '--key', cluster.operatorKey]);
    assert.is(applied.code, 0, applied.stderr);

    // Deadlines here wait for what must come, they time nothing: on a machine at a load of 16 the first placement took over 30 s once.
    const victimId = await until('solo and crowd running', soloNode(first), 90_000).catch(async (e: Error) => {
      throw new Error(`${e.message}; the nodes' events:${await eventLines(cluster.nodes)}`);
    });
    const victim = cluster.nodes.find((n) => n.peerId === victimId) as ShoalNodeProcess;
    const held = (await replicas.running([victim])).get(victimId) ?? [];
    const solo = held.find((r) => r.workload === SOLO) as ObservedReplica;
    const crowd = held.find((r) => r.workload !== SOLO) as ObservedReplica;
    assert.ok(solo !== undefined && crowd !== undefined, 'the victim runs solo and one crowd replica');
    await until("the victim's fence keeper started", async () => keeperOf(victim), 10_000);

    victim.child.kill('SIGKILL');
    await victim.exited;
    const observer = cluster.nodes.find((n) => n !== victim) as ShoalNodeProcess;
    let soloGone = false;
    const elsewhere = await until(
      'solo running on a survivor',
      async () => {
        soloGone ||= !(await replicas.of(victim)).some((r) => r.id === solo.id);
        const placed = (await placements(observer)).find((p) => p.name === 'solo');
        return placed?.state === 'running' && placed.node !== null && placed.node !== victimId ? placed.node : undefined;
      },
      90_000,
    );
    assert.ok(soloGone, "the killed node's solo replica was removed before the slot ran elsewhere");
    assert.ok(
      (await replicas.running([victim])).get(victimId)?.some((r) => r.id === crowd.id),
      'the available replica keeps running on the killed node',
    );
    await until("the victim's fence keeper exited", async () => (keeperOf(victim) === undefined ? true : undefined), 10_000);

    const host = cluster.nodes.find((n) => n.peerId === elsewhere) as ShoalNodeProcess;
    const moved = (await replicas.running([host])).get(elsewhere)?.find((r) => r.workload === SOLO) as ObservedReplica;
    assert.ok(moved !== undefined);
    host.child.kill('SIGTERM');
    await host.exited;
    assert.not.ok(
      (await replicas.of(host)).some((r) => r.id === moved.id),
      'a node that stops gracefully removes its majority replica first',
    );
    await until("the stopped node's fence keeper exited", async () => (keeperOf(host) === undefined ? true : undefined), 10_000);
  } finally {
    await cluster.stop();
    await endFenceKeepers(cluster.nodes.map((n) => n.dataDir));
    await replicas.removeAll(cluster.nodes);
  }
}

import type { NodeEvent } from '../../protocol/api/events.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { PlacementJson } from '../../protocol/api/placements.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { poll as until } from '../../testnet/poll.js';
import { operatorKeyOf } from '../../testnet/local/shoal-process.js';
import { signedFetch } from '../../cli/client.js';

export { until };

/**
 * The scheduling promise on real processes, for either runtime: six replicas applied on
 * one node spread over three; `kill -9` of a node moves its replicas; restarting it
 * adopts the replicas it left running and starts no duplicates.
 */
const MANIFEST = `apiVersion: shoal/v1
kind: Workload
metadata: {name: sleeper}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "while true; do sleep 1; done"]
  replicas: 6
  resources: {cpu: 100m, memory: 16Mi}
`;

export async function placements(node: ShoalNodeProcess): Promise<PlacementJson[]> {
  return (await (await signedFetch(operatorKeyOf(node))(`${node.api}/v1/placements`)).json()) as PlacementJson[];
}

/**
 * The nodes' events of `kinds` (all where undefined), a line each in time order: what a
 * failed wait prints (the 'placed' ones say which bids, from how many, after how long).
 */
export async function eventLines(nodes: readonly ShoalNodeProcess[], kinds?: readonly string[]): Promise<string> {
  const lines: string[] = [];
  for (const node of nodes) {
    const events = (await (await signedFetch(operatorKeyOf(node))(`${node.api}/v1/events`)).json()) as NodeEvent[];
    for (const e of events) if (kinds === undefined || kinds.includes(e.kind)) lines.push(`\n  ${new Date(e.atMs).toISOString()} ${e.node} ${e.kind} ${e.object}: ${e.message}`);
  }
  return [...new Set(lines)].sort().join('');
}

const placedEvents = (nodes: readonly ShoalNodeProcess[]): Promise<string> => eventLines(nodes, ['placed']);

/** Slots by node, once `observer` sees all six running on live nodes; with `onNodes`, only there. */
const settled = (observer: ShoalNodeProcess, onNodes?: readonly string[]) => async (): Promise<Map<string, number> | undefined> => {
  const all = await placements(observer);
  const ok = all.length === 6 && all.every((p) => p.state === 'running' && p.nodeState === 'alive' && (onNodes === undefined || onNodes.includes(p.node ?? '')));
  if (!ok) return undefined;
  const byNode = new Map<string, number>();
  for (const p of all) byNode.set(p.node as string, (byNode.get(p.node as string) ?? 0) + 1);
  return byNode;
};

async function runningIds(replicas: LocalReplicas, nodes: readonly ShoalNodeProcess[]): Promise<string[]> {
  return [...(await replicas.running(nodes)).values()]
    .flat()
    .map((r) => r.id)
    .sort();
}

export async function schedulingScenario(runtime: 'docker' | 'process', dir: string): Promise<void> {
  const replicas = new LocalReplicas(runtime);
  const cluster: LocalCluster = await startLocalCluster({ dir, nodes: 3, args: ['--runtime', runtime] });
  try {
    const [first, , victim] = cluster.nodes as [ShoalNodeProcess, ShoalNodeProcess, ShoalNodeProcess];
    await waitForMembers(first.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 20_000);
    writeFileSync(join(dir, 'sleeper.yaml'), MANIFEST);
    const applied = await runShoal(['apply', '-f', join(dir, 'sleeper.yaml'), '--api', first.apiAddress, '--key', cluster.operatorKey]);
    assert.is(applied.code, 0, applied.stderr);

    const spread = await until('six replicas running', settled(cluster.nodes[1] as ShoalNodeProcess), 30_000);
    assert.equal([...spread.values()], [2, 2, 2], `two replicas on each node; the decisions: ${await placedEvents(cluster.nodes)}`);
    const before = await runningIds(replicas, cluster.nodes);
    assert.is(before.length, 6, 'six replicas run, no more');
    const victimIds =
      (await replicas.running([victim]))
        .get(victim.peerId)
        ?.map((r) => r.id)
        .sort() ?? [];
    assert.is(victimIds.length, 2);
    // A node answers for its own replicas from its runtime, for the others' from their last reports, and says which.
    for (const p of await placements(first)) {
      if (p.node === first.peerId) assert.equal([p.source, p.state, p.reportedAgoMs], ['runtime', 'running', null], `slot ${p.slot} on the node asked`);
      else assert.ok(p.source === 'report' && p.reportedAgoMs !== null && p.reportedAgoMs >= 0, `slot ${p.slot} on ${p.node}: ${JSON.stringify(p)}`);
    }

    victim.child.kill('SIGKILL');
    await victim.exited;
    const survivors = cluster.nodes.filter((n) => n !== victim).map((n) => n.peerId);
    const moved = await until("the killed node's replicas running elsewhere", settled(first, survivors), 30_000);
    assert.equal([...moved.values()].sort(), [3, 3]);

    const back = await cluster.restart(victim);
    await waitForMembers(first.api, cluster.operatorKey, (m) => m.some((x) => x.id === back.peerId && x.state === 'alive'), 20_000);
    await until('the restarted node keeps its originals', settled(first, [...survivors, back.peerId]), 30_000);
    await until('no duplicates left', async () => ((await runningIds(replicas, cluster.nodes)).length === 6 ? true : undefined), 20_000);
    const adopted =
      (await replicas.running([back]))
        .get(back.peerId)
        ?.map((r) => r.id)
        .sort() ?? [];
    assert.equal(adopted, victimIds, 'the restarted node adopted the replicas it left running, and started none anew');
    assert.is((await runningIds(replicas, cluster.nodes)).length, 6, 'no duplicates');
  } finally {
    await cluster.stop();
    await replicas.removeAll(cluster.nodes);
  }
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fenceKeeperLockPath } from '../../node/agent/fence-record.js';
import { dataPaths, lockHolder } from '../../node/data-dir.js';
import type { NodeEvent } from '../../protocol/api/events.js';
import { endFenceKeepers } from '../../testnet/local/fence-keepers.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { SOLO, SOLO_MANIFEST } from './majority-fence-scenario.js';
import { placements, until } from './scheduling-scenario.js';
import { operatorKeyOf } from '../../testnet/local/shoal-process.js';
import { signedFetch } from '../../cli/client.js';

/**
 * A `majority` replica on a node that is cut off, then on a node whose wall clock is
 * stepped (issue 20, item 1), for either runtime. The node and its fence keeper judge
 * the lease by one record and one clock: once the cut-off node's replica is gone it
 * starts none again until it sees a majority, and a step of the wall clock removes
 * nothing. Local preset: fence 3 s.
 */
/** Several fences: long enough for a keeper and an agent that disagree to show it. */
const WATCH_MS = 10_000;
const WATCH_EVERY_MS = 100;

async function post(node: ShoalNodeProcess, path: string, body: unknown): Promise<void> {
  const response = await signedFetch(operatorKeyOf(node))(`${node.api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.is(response.status, 200, `${path} on ${node.peerId}: ${await response.text()}`);
}

async function soloStarts(node: ShoalNodeProcess): Promise<number> {
  const events = (await (await signedFetch(operatorKeyOf(node))(`${node.api}/v1/events`)).json()) as NodeEvent[];
  return events.filter((e) => e.kind === 'started' && e.object === SOLO).length;
}

export async function majorityCutScenario(runtime: 'docker' | 'process', dir: string): Promise<void> {
  const replicas = new LocalReplicas(runtime);
  const cluster: LocalCluster = await startLocalCluster({ dir, nodes: 3, args: ['--runtime', runtime, '--enable-fault-injection'] });
  const soloOn = async (node: ShoalNodeProcess): Promise<string[]> => (await replicas.of(node)).filter((r) => r.workload === SOLO && r.state === 'running').map((r) => r.id);
  try {
    const first = cluster.nodes[0] as ShoalNodeProcess;
    await waitForMembers(first.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 20_000);
    writeFileSync(join(dir, 'solo.yaml'), SOLO_MANIFEST);
    const applied = await runShoal(['apply', '-f', join(dir, 'solo.yaml'), '--api', first.apiAddress, '--key', cluster.operatorKey]);
    assert.is(applied.code, 0, applied.stderr);
    const soloNode = async (): Promise<ShoalNodeProcess> => {
      const id = await until(
        'solo running',
        async () => {
          const placed = (await placements(first)).find((p) => p.name === 'solo');
          return placed?.state === 'running' && placed.nodeState === 'alive' ? (placed.node ?? undefined) : undefined;
        },
        60_000,
      );
      return cluster.nodes.find((n) => n.peerId === id) as ShoalNodeProcess;
    };

    // Cut off: once its replica is gone (its keeper's record ran out), the node starts none
    // again until it sees a majority; before, it did within the record's cadence.
    const victim = await soloNode();
    const others = cluster.nodes.filter((n) => n !== victim);
    await until('solo running on its node', async () => ((await soloOn(victim)).length === 1 ? true : undefined), 10_000);
    for (const node of others) await post(node, '/v1/faults/partition', { peers: [victim.peerId] });
    await post(victim, '/v1/faults/partition', { peers: others.map((n) => n.peerId) });
    await until("the cut-off node's replica removed", async () => ((await soloOn(victim)).length === 0 ? true : undefined), 30_000);
    const startsAtRemoval = await soloStarts(victim);
    for (const end = Date.now() + WATCH_MS; Date.now() < end; ) {
      assert.equal(await soloOn(victim), [], 'a fenced node starts no majority replica while it is cut off');
      await new Promise((r) => setTimeout(r, WATCH_EVERY_MS));
    }
    assert.is(await soloStarts(victim), startsAtRemoval, 'and its agent started none, however briefly');
    for (const node of cluster.nodes) await signedFetch(operatorKeyOf(node))(`${node.api}/v1/faults/partition`, { method: 'DELETE' });
    await until(
      'solo running once after the heal',
      async () => {
        const running = [...(await replicas.running(cluster.nodes)).values()].flat().filter((r) => r.workload === SOLO);
        return running.length === 1 ? true : undefined;
      },
      60_000,
    );

    // A wall clock stepped back by more than the fence: the keeper, a process of its own,
    // read it unstepped, found the lease run out, and removed the replica that the node
    // started again, over and over.
    const runner = await soloNode();
    const [original] = await until('solo running on its node', async () => ((await soloOn(runner)).length === 1 ? soloOn(runner) : undefined), 10_000);
    await until('the fence keeper started', async () => lockHolder(fenceKeeperLockPath(dataPaths(runner.dataDir).root)), 10_000);
    await post(runner, '/v1/faults/clock', { offsetMs: -20_000 });
    for (const end = Date.now() + WATCH_MS; Date.now() < end; ) {
      assert.equal(await soloOn(runner), [original], "the replica keeps running, untouched, through a step of the node's wall clock");
      await new Promise((r) => setTimeout(r, WATCH_EVERY_MS));
    }
  } finally {
    await cluster.stop();
    await endFenceKeepers(cluster.nodes.map((n) => n.dataDir));
    await replicas.removeAll(cluster.nodes);
  }
}

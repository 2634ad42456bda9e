import Dockerode from 'dockerode';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlacementJson } from '../protocol/api/placements.js';
import { ensureBusyboxImage } from '../testnet/images/busybox-image.js';
import { startLocalCluster, waitForMembers } from '../testnet/local/cluster.js';
import { LocalReplicas } from '../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../testnet/local/shoal-process.js';
import { percentile, round } from './stats.js';
import { signedFetch } from '../cli/client.js';

/**
 * Real nodes on loopback with the default (LAN) preset and a local Docker image:
 * how long from `shoal apply` until the replica runs on the winner, and how long until a
 * `kill -9`ed node's replicas run elsewhere.
 */
export interface RealSchedulingFigures {
  nodes: number;
  preset: 'lan';
  submitToRunningMs: { samples: number; p50: number | null; p99: number | null };
  /** Where the submit time goes, p50 from the start of `shoal apply`: the node events carry the wall clock. */
  submitPhasesMs: { applyReturned: number | null; placed: number | null; containerStarted: number | null };
  crashToRunningElsewhereMs: { samples: number; replicasPerCrash: number; p50: number | null; p99: number | null };
}

const POLL_MS = 20;

const manifest = (name: string, replicas: number): string => `apiVersion: shoal/v1
kind: Workload
metadata: {name: ${name}}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "while true; do sleep 1; done"]
  replicas: ${replicas}
  resources: {cpu: 50m, memory: 8Mi}
`;

interface EventJson {
  atMs: number;
  kind: string;
  object: string;
}

/** When the first node recorded each kind of event for `workload`, by the wall clock every local node shares. */
async function firstEvents(nodes: readonly ShoalNodeProcess[], key: string, workload: string): Promise<Map<string, number>> {
  const lists = await Promise.all(nodes.map(async (n) => (await (await signedFetch(key)(`${n.api}/v1/events`)).json()) as EventJson[]));
  const first = new Map<string, number>();
  for (const e of lists.flat()) if (e.object === `Workload/default/${workload}`) first.set(e.kind, Math.min(e.atMs, first.get(e.kind) ?? Infinity));
  return first;
}

const placements = async (node: ShoalNodeProcess, key: string): Promise<PlacementJson[]> => (await (await signedFetch(key)(`${node.api}/v1/placements`)).json()) as PlacementJson[];

async function waitFor(predicate: (all: PlacementJson[]) => boolean, observer: ShoalNodeProcess, key: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate(await placements(observer, key))) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${JSON.stringify(await placements(observer, key))}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const runningOn = (all: PlacementJson[], name: string, nodes: readonly string[]): number =>
  all.filter((p) => p.name === name && p.state === 'running' && nodes.includes(p.node ?? '')).length;

export async function realScheduling(nodes = 4, submits = 20, crashes = 8): Promise<RealSchedulingFigures> {
  await ensureBusyboxImage(new Dockerode());
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-sched-'));
  const replicas = new LocalReplicas('docker');
  const cluster = await startLocalCluster({ dir, nodes, preset: 'lan', args: ['--runtime', 'docker'] });
  const apply = async (name: string, count: number, via: ShoalNodeProcess): Promise<void> => {
    writeFileSync(join(dir, `${name}.yaml`), manifest(name, count));
    const run = await runShoal(['apply', '-f', join(dir, `${name}.yaml`), '--api', via.apiAddress, '--key', cluster.operatorKey]);
    if (run.code !== 0) throw new Error(run.stderr);
  };
  try {
    const first = cluster.nodes[0] as ShoalNodeProcess;
    await waitForMembers(first.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === nodes, 30_000);
    const submit: number[] = [];
    const phases = { applyReturned: [] as number[], placed: [] as number[], containerStarted: [] as number[] };
    for (let i = 0; i < submits; i++) {
      const via = cluster.nodes[i % nodes] as ShoalNodeProcess;
      const t0 = performance.now();
      const wall0 = Date.now();
      await apply(`submit-${i}`, 1, via);
      phases.applyReturned.push(Date.now() - wall0);
      await waitFor(
        (all) =>
          runningOn(
            all,
            `submit-${i}`,
            cluster.nodes.map((n) => n.peerId),
          ) === 1,
        via,
        cluster.operatorKey,
        30_000,
      );
      submit.push(performance.now() - t0);
      const first = await firstEvents(cluster.nodes, cluster.operatorKey, `submit-${i}`);
      for (const [phase, kind] of [
        ['placed', 'placed'],
        ['containerStarted', 'started'],
      ] as const) {
        const at = first.get(kind);
        if (at !== undefined) phases[phase].push(at - wall0);
      }
    }
    const perNode = 2;
    await apply('failover', nodes * perNode, first);
    const all = () => cluster.nodes.map((n) => n.peerId);
    await waitFor((p) => runningOn(p, 'failover', all()) === nodes * perNode, first, cluster.operatorKey, 60_000);
    const failover: number[] = [];
    for (let i = 0; i < crashes; i++) {
      const victim = cluster.nodes[1 + (i % (nodes - 1))] as ShoalNodeProcess;
      const observer = cluster.nodes.find((n) => n !== victim) as ShoalNodeProcess;
      const survivors = all().filter((id) => id !== victim.peerId);
      const t0 = performance.now();
      victim.child.kill('SIGKILL');
      await waitFor((p) => runningOn(p, 'failover', survivors) === nodes * perNode, observer, cluster.operatorKey, 60_000);
      failover.push(performance.now() - t0);
      const back = await cluster.restart(victim);
      await waitForMembers(first.api, cluster.operatorKey, (m) => m.some((x) => x.id === back.peerId && x.state === 'alive'), 30_000);
      await waitFor((p) => runningOn(p, 'failover', all()) === nodes * perNode, first, cluster.operatorKey, 60_000);
    }
    const figure = (values: number[]) => ({ samples: values.length, p50: round(percentile(values, 50), 0), p99: round(percentile(values, 99), 0) });
    const p50 = (values: number[]) => round(percentile(values, 50), 0);
    return {
      nodes,
      preset: 'lan',
      submitToRunningMs: figure(submit),
      submitPhasesMs: { applyReturned: p50(phases.applyReturned), placed: p50(phases.placed), containerStarted: p50(phases.containerStarted) },
      crashToRunningElsewhereMs: { ...figure(failover), replicasPerCrash: perNode },
    };
  } finally {
    await cluster.stop();
    await replicas.removeAll(cluster.nodes);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await realScheduling(), null, 2));

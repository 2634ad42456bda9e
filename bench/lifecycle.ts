import { spawn } from 'node:child_process';
import Dockerode from 'dockerode';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlacementJson } from '../protocol/api/placements.js';
import { ensureBusyboxImage } from '../testnet/images/busybox-image.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../testnet/local/cluster.js';
import { LocalReplicas } from '../testnet/local/replicas.js';
import { runShoal, SHOAL_BIN, type ShoalNodeProcess } from '../testnet/local/shoal-process.js';
import { percentile, round } from './stats.js';
import { signedFetch } from '../cli/client.js';

/**
 * Workload lifecycle on 3 real loopback nodes with Docker (LAN preset): a rolling update
 * of 10 replicas, `shoal logs -f` from a node that does not run the replica, and the
 * time from a liveness failure to a restarted, ready replica.
 */
const placements = async (n: ShoalNodeProcess, key: string): Promise<PlacementJson[]> => (await (await signedFetch(key)(`${n.api}/v1/placements`)).json()) as PlacementJson[];

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every slot as its own node reports it: a node's statuses are current on itself. */
async function truth(cluster: LocalCluster, name: string): Promise<PlacementJson[]> {
  return (await Promise.all(cluster.nodes.map(async (n) => (await placements(n, cluster.operatorKey)).filter((p) => p.node === n.peerId && p.name === name)))).flat();
}

async function apply(cluster: LocalCluster, dir: string, name: string, text: string): Promise<void> {
  writeFileSync(join(dir, `${name}.yaml`), text);
  const run = await runShoal(['apply', '-f', join(dir, `${name}.yaml`), '--api', (cluster.nodes[0] as ShoalNodeProcess).apiAddress, '--key', cluster.operatorKey]);
  if (run.code !== 0) throw new Error(run.stderr);
}

const web = (version: string, maxUnavailable: number) => `apiVersion: shoal/v1
kind: Workload
metadata: {name: web${maxUnavailable}}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "sleep 0.5; touch /tmp/ready; exec sleep 1000"]
  env: [{name: VERSION, value: ${version}}]
  replicas: 10
  resources: {cpu: 100m, memory: 8Mi}
  rollout: {maxUnavailable: ${maxUnavailable}}
  readinessProbe: {exec: {command: [test, -f, /tmp/ready]}, periodSeconds: 0.5}
`;

async function rolloutMs(cluster: LocalCluster, dir: string, maxUnavailable: number): Promise<number> {
  const name = `web${maxUnavailable}`;
  const allReady = async (version: string | undefined): Promise<boolean> => {
    const slots = await truth(cluster, name);
    return slots.length === 10 && slots.every((s) => s.ready && (version === undefined || s.version !== version));
  };
  await apply(cluster, dir, name, web('v1', maxUnavailable));
  await waitUntil(() => allReady(undefined), 120_000, `${name} v1 ready`).catch(async (e: Error) => {
    throw new Error(`${e.message}: ${JSON.stringify((await truth(cluster, name)).map((s) => [s.slot, s.state, s.ready]))}`);
  });
  const v1 = (await truth(cluster, name))[0]?.version ?? undefined;
  const t0 = performance.now();
  await apply(cluster, dir, name, web('v2', maxUnavailable));
  await waitUntil(() => allReady(v1), 120_000, `${name} v2 ready`);
  return performance.now() - t0;
}

/** Lines as `shoal logs -f` on another node prints them, against the engine's own timestamp of each. */
async function logsFollowLatencyMs(cluster: LocalCluster, dir: string, docker: Dockerode): Promise<number[]> {
  await apply(
    cluster,
    dir,
    'ticker',
    `apiVersion: shoal/v1
kind: Workload
metadata: {name: ticker}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "i=0; while true; i=$((i+1)); do echo tick-$i; sleep 0.25; done"]
  replicas: 1
`,
  );
  let running: PlacementJson | undefined;
  await waitUntil(
    async () => (running = (await placements(cluster.nodes[0] as ShoalNodeProcess, cluster.operatorKey)).find((p) => p.name === 'ticker' && p.state === 'running')) !== undefined,
    30_000,
    'ticker runs',
  );
  const remote = cluster.nodes.find((n) => n.peerId !== running?.node) as ShoalNodeProcess;
  const arrivals = new Map<string, number>();
  const child = spawn(SHOAL_BIN, ['logs', 'ticker', '-f', '--tail', '0', '--api', remote.apiAddress, '--key', cluster.operatorKey], { stdio: ['ignore', 'pipe', 'ignore'] });
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) arrivals.set(line, Date.now());
  });
  await new Promise((r) => setTimeout(r, 10_000));
  child.kill('SIGTERM');
  const [container] = await docker.listContainers({ filters: { label: ['io.shoal.workload=Workload/default/ticker'] } });
  const raw = (await docker.getContainer(container?.Id ?? '').logs({ stdout: true, timestamps: true })) as unknown as Buffer;
  const latencies: number[] = [];
  for (const line of raw.toString('utf8').split('\n')) {
    const match = /(\d{4}-\d\d-\d\dT[\d:.]+Z) (tick-\d+)/.exec(line);
    const arrived = match === null ? undefined : arrivals.get(match[2] as string);
    if (match !== null && arrived !== undefined) latencies.push(arrived - Date.parse(match[1] as string));
  }
  return latencies;
}

/** From the probe's verdict (at most failureThreshold x period = 1 s after the failure) to a restarted, ready replica. */
async function livenessToReadyMs(cluster: LocalCluster, dir: string): Promise<number> {
  await apply(
    cluster,
    dir,
    'flaky',
    `apiVersion: shoal/v1
kind: Workload
metadata: {name: flaky}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "if [ -f /tmp/crashed ]; then touch /tmp/alive; else touch /tmp/alive /tmp/crashed; sleep 3; rm /tmp/alive; fi; touch /tmp/ready; exec sleep 1000"]
  replicas: 1
  livenessProbe: {exec: {command: [test, -f, /tmp/alive]}, periodSeconds: 0.5, failureThreshold: 2}
  readinessProbe: {exec: {command: [test, -f, /tmp/ready]}, periodSeconds: 0.2}
`,
  );
  let back = 0;
  await waitUntil(
    async () => {
      const [p] = await truth(cluster, 'flaky');
      if (p !== undefined && p.restarts >= 1 && p.ready) back = Date.now();
      return back > 0;
    },
    60_000,
    'flaky restarted and ready',
  );
  // busybox's date has no sub-second format: the failure is timed by the node that saw it.
  const events = (await (await signedFetch(cluster.operatorKey)(`${cluster.nodes[0]!.api}/v1/cluster/events`)).json()) as {
    events: { kind: string; atMs: number; object: string }[];
  };
  const unhealthy = events.events.find((e) => e.kind === 'unhealthy' && e.object === 'Workload/default/flaky');
  if (unhealthy === undefined) throw new Error('no unhealthy event');
  return back - unhealthy.atMs;
}

export async function lifecycle(): Promise<Record<string, unknown>> {
  const docker = new Dockerode();
  await ensureBusyboxImage(docker);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-lifecycle-'));
  const replicas = new LocalReplicas('docker');
  const cluster = await startLocalCluster({ dir, nodes: 3, preset: 'lan', args: ['--runtime', 'docker'] });
  try {
    await waitForMembers(cluster.nodes[0]!.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 30_000);
    const rollout1 = await rolloutMs(cluster, dir, 1);
    const rollout3 = await rolloutMs(cluster, dir, 3);
    const logs = await logsFollowLatencyMs(cluster, dir, docker);
    const liveness = await livenessToReadyMs(cluster, dir);
    return {
      nodes: 3,
      preset: 'lan',
      rolloutOf10ReplicasMs: { maxUnavailable1: Math.round(rollout1), maxUnavailable3: Math.round(rollout3) },
      logsFollowFromRemoteNodeMs: { lines: logs.length, p50: round(percentile(logs, 50), 0), p99: round(percentile(logs, 99), 0) },
      livenessVerdictToRestartedAndReadyMs: Math.round(liveness),
      livenessDetectionBoundMs: 1_000,
    };
  } finally {
    await cluster.stop();
    await replicas.removeAll(cluster.nodes);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await lifecycle(), null, 2));

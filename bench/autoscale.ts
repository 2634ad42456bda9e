import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { signedFetch } from '../cli/client.js';
import type { PlacementJson } from '../protocol/api/placements.js';
import { Autoscaler, type AutoscaledWorkload } from '../protocol/autoscale/autoscaler.js';
import { autoscaleSchema } from '../protocol/manifests/workload.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../testnet/local/cluster.js';
import { LocalReplicas } from '../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../testnet/local/shoal-process.js';
import { poll } from '../testnet/poll.js';
import { apply, autoscalers, burnerManifest, load, running } from '../test/integration/autoscale-scenario.js';
import { percentile, round } from './stats.js';

/**
 * `npm run bench:autoscale`, the three figures issue 17 asks for, each beside a baseline
 * measured in the same run:
 * 1. stepToReady: three real nodes (process runtime) and a CPU burner, min 1 max 3, up
 *    window 0; the load switched on, to the decision written and to 3 replicas ready,
 *    beside the same workload without autoscale scaled by hand (`shoal scale --replicas 3`);
 *    at the default usage interval (5 s) and at 1 s.
 * 2. noisyLoad: the pure Autoscaler on three members in virtual time, an hour of a noisy
 *    load (every replica at its target, or a steady total shared among the replicas, give
 *    or take a uniform noise): decisions written per hour with the default windows (up 0,
 *    down 300 s) beside no windows at all.
 * 3. failover: a fresh cluster each run, up window 6 s, load on; at the first round asking
 *    for more, a kill -9 of the decider: to the observer's SWIM seeing it gone, to another
 *    node's decision, to 3 replicas ready; beside the same without a kill, in the same
 *    cluster just before; at usage intervals 5 s and 1 s.
 */
const RUNS = Number(process.env.RUNS ?? 3);
const SEED = Number(process.env.SEED ?? 17);
/** The usage intervals (seconds) stepToReady runs at, one cluster each. */
const STEP_INTERVALS = (process.env.STEP_INTERVALS ?? '5,1')
  .split(',')
  .filter((s) => s !== '')
  .map(Number);
/** The usage intervals (seconds) failover runs at, RUNS fresh clusters each. */
const FAILOVER_INTERVALS = (process.env.FAILOVER_INTERVALS ?? '5,1')
  .split(',')
  .filter((s) => s !== '')
  .map(Number);
const root = mkdtempSync(join(tmpdir(), 'shoal-bench-autoscale-'));
const switches = new Set<string>();

const summary = (values: readonly number[]): { p50: number | null; max: number | null; runs: number[] } => ({
  p50: round(percentile(values, 50), 0),
  max: values.length === 0 ? null : Math.max(...values),
  runs: [...values],
});

const progress = (what: string, value: unknown): void => console.error(`${new Date().toISOString().slice(11, 19)} ${what} ${JSON.stringify(value)}`);

/** Slots of `name` running and ready, on a node `node` sees alive (a dead node's last report does not count). */
async function ready(cluster: LocalCluster, node: ShoalNodeProcess, name: string): Promise<number> {
  const placements = (await (await signedFetch(cluster.operatorKey)(`${node.api}/v1/placements`)).json()) as PlacementJson[];
  return placements.filter((p) => p.workload === `Workload/default/${name}` && p.state === 'running' && p.ready && p.nodeState === 'alive').length;
}

async function shoal(cluster: LocalCluster, node: ShoalNodeProcess, args: string[]): Promise<void> {
  const run = await runShoal([...args, '--api', node.apiAddress, '--key', cluster.operatorKey]);
  if (run.code !== 0) throw new Error(`shoal ${args.join(' ')}: ${run.stderr}`);
}

/** A 3-node cluster on loopback (process runtime) for `run`; stopped, its replicas removed and the switches off whatever happens. */
async function withCluster<T>(name: string, usageIntervalS: number, run: (cluster: LocalCluster) => Promise<T>): Promise<T> {
  const replicas = new LocalReplicas('process');
  let cluster: LocalCluster | undefined;
  try {
    cluster = await startLocalCluster({ dir: join(root, name), nodes: 3, args: ['--runtime', 'process', '--usage-interval', String(usageIntervalS)] });
    for (const node of cluster.nodes) await waitForMembers(node.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 30_000);
    return await run(cluster);
  } finally {
    for (const file of switches) load.off(file);
    await cluster?.stop(0);
    await replicas.removeAll(cluster?.nodes ?? []);
  }
}

/** Applies the burner as `name` (autoscaled or not) and waits for its one replica to run. */
async function burner(cluster: LocalCluster, name: string, behavior: { up: number; down: number }, autoscaled: boolean): Promise<string> {
  const [first, observer] = cluster.nodes as [ShoalNodeProcess, ShoalNodeProcess];
  const burn = join(root, `${name}.burn`);
  switches.add(burn);
  const manifest = burnerManifest(name, burn, behavior);
  await apply(cluster, first, join(root, `${name}.yaml`), autoscaled ? manifest : (manifest.split('  autoscale:')[0] as string));
  await poll(`one replica of ${name} running`, async () => ((await running(cluster, observer, name)) === 1 ? true : undefined), 60_000);
  return burn;
}

/** Load on, to the decision for 3 (its atMs, the decider's clock) and to 3 replicas ready, as the second node sees it (poll resolution 100 ms). */
async function autoscaledStep(cluster: LocalCluster, name: string): Promise<{ decidedMs: number; readyMs: number }> {
  const observer = cluster.nodes[1] as ShoalNodeProcess;
  const key = `Workload/default/${name}`;
  const burn = await burner(cluster, name, { up: 0, down: 300 }, true);
  // Steady at 1 first: the autoscaler has a reading of the idle replica.
  await poll(`${name} measured at 1`, async () => ((await autoscalers(cluster, observer)).find((a) => a.workload === key)?.metrics[0]?.measured ?? 0) > 0 || undefined, 60_000);
  const startedMs = Date.now();
  load.on(burn);
  let readyMs: number | undefined;
  const decision = await poll(
    `${name} decided at 3`,
    async () => {
      if (readyMs === undefined && (await ready(cluster, observer, name)) === 3) readyMs = Date.now() - startedMs;
      const status = (await autoscalers(cluster, observer)).find((a) => a.workload === key);
      return status?.decision !== undefined && status.decision.replicas === 3 ? status.decision : undefined;
    },
    120_000,
  );
  readyMs ??= await poll(`${name} 3 ready`, async () => ((await ready(cluster, observer, name)) === 3 ? Date.now() - startedMs : undefined), 120_000);
  load.off(burn);
  await shoal(cluster, cluster.nodes[0] as ShoalNodeProcess, ['delete', 'workload', name]);
  return { decidedMs: decision.atMs - startedMs, readyMs };
}

/** The same burner without autoscale, load on, scaled by hand: from the command to 3 replicas ready. */
async function handStep(cluster: LocalCluster, name: string): Promise<{ commandMs: number; readyMs: number }> {
  const observer = cluster.nodes[1] as ShoalNodeProcess;
  const burn = await burner(cluster, name, { up: 0, down: 300 }, false);
  load.on(burn);
  const startedMs = Date.now();
  await shoal(cluster, observer, ['scale', name, '--replicas', '3']);
  const commandMs = Date.now() - startedMs;
  const readyMs = await poll(`${name} 3 ready`, async () => ((await ready(cluster, observer, name)) === 3 ? Date.now() - startedMs : undefined), 120_000);
  load.off(burn);
  await shoal(cluster, cluster.nodes[0] as ShoalNodeProcess, ['delete', 'workload', name]);
  return { commandMs, readyMs };
}

async function stepToReady(usageIntervalS: number) {
  return withCluster(`step-${usageIntervalS}`, usageIntervalS, async (cluster) => {
    const auto = { decidedMs: [] as number[], readyMs: [] as number[] };
    const hand = { commandMs: [] as number[], readyMs: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      const a = await autoscaledStep(cluster, `up${usageIntervalS}s${i}`);
      auto.decidedMs.push(a.decidedMs);
      auto.readyMs.push(a.readyMs);
      const h = await handStep(cluster, `hand${usageIntervalS}s${i}`);
      hand.commandMs.push(h.commandMs);
      hand.readyMs.push(h.readyMs);
      progress(`stepToReady ${usageIntervalS}s run ${i}`, { autoscaled: a, byHand: h });
    }
    return {
      usageIntervalS,
      autoscaled: { loadToDecisionMs: summary(auto.decidedMs), loadToThreeReadyMs: summary(auto.readyMs) },
      byHand: { scaleCommandMs: summary(hand.commandMs), commandToThreeReadyMs: summary(hand.readyMs) },
    };
  });
}

interface WindowRun {
  /** Whether the decider ran the one replica (killed, that replica keeps running but its node no longer reports it). */
  deciderRanReplica: boolean;
  /** From the load switched on to the first round asking for more. */
  loadToTriggerMs: number;
  /** From that round to the observer's SWIM seeing the killed decider not alive; null without a kill. */
  toNotAliveMs: number | null;
  /** To the decision's atMs, by another node after a kill; null where the victim decided before it died. */
  toDecisionMs: number | null;
  toThreeReadyMs: number;
}

/**
 * The burner with a 6 s up window, steady at 1 and measured on its decider and another node
 * (each then has a low recommendation in its window: a window holding no sample before
 * the load's first one lets that one through at once); load on; at the first round, on
 * either, that asks for more (the decider's decision is then a round away at least), a
 * kill -9 of the decider or nothing. Timed from that moment, as the other node sees it.
 */
async function windowed(cluster: LocalCluster, name: string, kill: boolean): Promise<WindowRun> {
  const [first] = cluster.nodes as [ShoalNodeProcess];
  const key = `Workload/default/${name}`;
  const burn = await burner(cluster, name, { up: 6, down: 300 }, true);
  const decider = await poll(`a decider for ${name}`, async () => (await autoscalers(cluster, first)).find((a) => a.workload === key)?.decider, 30_000);
  const victim = cluster.nodes.find((n) => n.peerId === decider) as ShoalNodeProcess;
  const observer = cluster.nodes.find((n) => n !== victim) as ShoalNodeProcess;
  const placements = (await (await signedFetch(cluster.operatorKey)(`${observer.api}/v1/placements`)).json()) as PlacementJson[];
  const deciderRanReplica = placements.some((p) => p.workload === key && p.node === victim.peerId);
  const status = async (node: ShoalNodeProcess) => (await autoscalers(cluster, node)).find((a) => a.workload === key);
  const measured = async (node: ShoalNodeProcess): Promise<boolean> => ((await status(node))?.metrics[0]?.measured ?? 0) > 0;
  await poll(`${name} measured at 1`, async () => ((await measured(victim)) && (await measured(observer)) ? true : undefined), 60_000);
  load.on(burn);
  const loadOnAtMs = Date.now();
  const asks = async (node: ShoalNodeProcess): Promise<boolean> => ((await status(node))?.recommended ?? 0) > 1;
  await poll(`${name} recommended above 1`, async () => ((await asks(victim)) || (await asks(observer)) ? true : undefined), 60_000);
  const triggerAtMs = Date.now();
  if (kill) victim.child.kill('SIGKILL');
  const [toNotAliveMs, toDecisionMs, toThreeReadyMs] = await Promise.all([
    kill ? waitForMembers(observer.api, cluster.operatorKey, (m) => m.find((x) => x.id === victim.peerId)?.state !== 'alive', 60_000).then(() => Date.now() - triggerAtMs) : null,
    poll(
      `${name} decided${kill ? ' by another node' : ''}`,
      async () => {
        const decision = (await status(observer))?.decision;
        if (decision === undefined || decision.replicas <= 1) return undefined;
        return kill && decision.decider === victim.peerId ? null : decision.atMs - triggerAtMs;
      },
      90_000,
    ),
    poll(`${name} 3 ready`, async () => ((await ready(cluster, observer, name)) === 3 ? Date.now() - triggerAtMs : undefined), 120_000),
  ]);
  load.off(burn);
  if (!kill) await shoal(cluster, observer, ['delete', 'workload', name]);
  return { deciderRanReplica, loadToTriggerMs: triggerAtMs - loadOnAtMs, toNotAliveMs, toDecisionMs, toThreeReadyMs };
}

/** A fresh cluster (the killed node is gone): the window alone first, then the same with the decider killed. */
async function failoverOnce(usageIntervalS: number, i: number): Promise<{ noKill: WindowRun; kill: WindowRun }> {
  return withCluster(`failover-${usageIntervalS}-${i}`, usageIntervalS, async (cluster) => {
    const noKill = await windowed(cluster, `win${usageIntervalS}s${i}`, false);
    const kill = await windowed(cluster, `fail${usageIntervalS}s${i}`, true);
    progress(`failover ${usageIntervalS}s run ${i}`, { noKill, kill });
    return { noKill, kill };
  });
}

async function failover(usageIntervalS: number) {
  const runs: { noKill: WindowRun; kill: WindowRun }[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await failoverOnce(usageIntervalS, i));
  const numbers = (values: (number | null)[]): number[] => values.flatMap((v) => (v === null ? [] : [v]));
  const kills = runs.map((r) => r.kill);
  return {
    usageIntervalS,
    upWindowS: 6,
    loadToTriggerMs: summary(runs.flatMap((r) => [r.noKill.loadToTriggerMs, r.kill.loadToTriggerMs])),
    noKill: {
      triggerToDecisionMs: summary(numbers(runs.map((r) => r.noKill.toDecisionMs))),
      triggerToThreeReadyMs: summary(runs.map((r) => r.noKill.toThreeReadyMs)),
    },
    kill: {
      killToObserverSeesNotAliveMs: summary(numbers(kills.map((r) => r.toNotAliveMs))),
      killToDecisionByAnotherNodeMs: summary(numbers(kills.map((r) => r.toDecisionMs))),
      victimDecidedBeforeDying: kills.filter((r) => r.toDecisionMs === null).length,
      killToThreeReadyMs: summary(kills.map((r) => r.toThreeReadyMs)),
      victimRanTheReplica: kills.map((r) => r.deciderRanReplica),
    },
  };
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MEMBERS = ['member-a', 'member-b', 'member-c'];
const SIM_INTERVAL_MS = 5_000;
const SIM_HOUR_MS = 3_600_000;
const START = 4;

/**
 * An hour of virtual time: three members each running the Autoscaler every 5 s (their
 * rounds a third of an interval apart, as real nodes' timers are), the usage redrawn every
 * 5 s, each replica's times 1 + noise x uniform(-1, 1) around its base: `perReplica`, the
 * target itself (50% of a 200m request) whatever the count; `steadyTotal`, the load of 4
 * replicas at target shared among however many there are. Every decision written is
 * applied to the count at once, as the document would be.
 */
type LoadModel = 'perReplica' | 'steadyTotal';

function simulate(model: LoadModel, noise: number, behavior: { up: number; down: number }, seed: number) {
  const random = mulberry32(seed);
  const spec = autoscaleSchema.parse({
    minReplicas: 1,
    maxReplicas: 10,
    metrics: [{ cpu: { targetPercent: 50 } }],
    behavior: { scaleUpWindowSeconds: behavior.up, scaleDownWindowSeconds: behavior.down },
  });
  const policy = { spec, requests: { cpuMillis: 200, memoryBytes: 64 * 1024 * 1024 } };
  const targetMillis = 100;
  const members = MEMBERS.map((id) => ({ id, autoscaler: new Autoscaler() }));
  let current = START;
  let decision: AutoscaledWorkload['decision'];
  let factors: number[] = [];
  const writesBy = new Map<string, number>(MEMBERS.map((m) => [m, 0]));
  let up = 0;
  let down = 0;
  let reversals = 0;
  let lastWay = 0;
  const counts = new Set<number>([current]);
  const events: { atMs: number; member: number }[] = [];
  for (let t = 0; t < SIM_HOUR_MS; t += SIM_INTERVAL_MS) {
    events.push({ atMs: t, member: -1 });
    members.forEach((_, m) => {
      events.push({ atMs: t + Math.round((m * SIM_INTERVAL_MS) / MEMBERS.length) + 1, member: m });
    });
  }
  events.sort((a, b) => a.atMs - b.atMs || a.member - b.member);
  for (const { atMs, member } of events) {
    if (member === -1) {
      factors = Array.from({ length: spec.maxReplicas }, () => 1 + noise * (2 * random() - 1));
      continue;
    }
    const { id, autoscaler } = members[member] as (typeof members)[number];
    const workload: AutoscaledWorkload = {
      key: 'Workload/default/web',
      policy,
      bounds: { min: spec.minReplicas, max: spec.maxReplicas },
      current,
      readings: factors
        .slice(0, current)
        .map((factor, slot) => ({ slot, cpuMillis: factor * (model === 'perReplica' ? targetMillis : (START * targetMillis) / current), memoryBytes: 0 })),
      decision,
    };
    for (const write of autoscaler.round(atMs, id, MEMBERS, [workload]).writes) {
      writesBy.set(id, (writesBy.get(id) ?? 0) + 1);
      const way = Math.sign(write.decision.replicas - current);
      if (way > 0) up++;
      else down++;
      if (lastWay !== 0 && way !== lastWay) reversals++;
      lastWay = way;
      current = write.decision.replicas;
      decision = write.decision;
      counts.add(current);
    }
  }
  const writes = [...writesBy.values()].reduce((a, b) => a + b, 0);
  return {
    decisionsPerHour: writes,
    up,
    down,
    reversals,
    finalReplicas: current,
    range: [Math.min(...counts), Math.max(...counts)],
    writers: [...writesBy.values()].filter((n) => n > 0).length,
  };
}

function noisyLoad() {
  const noises = [0.1, 0.2, 0.4];
  return {
    seed: SEED,
    members: MEMBERS.length,
    roundEveryS: SIM_INTERVAL_MS / 1000,
    virtualHours: SIM_HOUR_MS / 3_600_000,
    workload: { min: 1, max: 10, start: START, cpuTargetPercent: 50, replicaCpu: 'base x (1 + noise x uniform(-1, 1)), redrawn every 5 s' },
    results: noises.flatMap((noise, i) =>
      (['perReplica', 'steadyTotal'] as const).map((model) => ({
        model,
        noisePercent: noise * 100,
        // The same seed on both sides: the same noise, with and without the windows.
        defaultWindows: simulate(model, noise, { up: 0, down: 300 }, SEED + i),
        noWindows: simulate(model, noise, { up: 0, down: 0 }, SEED + i),
      })),
    ),
  };
}

const results: Record<string, unknown> = {
  machine: { cores: cpus().length, model: cpus()[0]?.model, node: process.version, date: new Date().toISOString().slice(0, 10), loadAverage1m: round(loadavg()[0] ?? 0, 1) },
  runs: RUNS,
};
try {
  results.noisyLoad = noisyLoad();
  progress('noisyLoad', results.noisyLoad);
  const steps = [];
  for (const interval of STEP_INTERVALS) steps.push(await stepToReady(interval));
  results.stepToReady = steps;
  const failovers = [];
  for (const interval of FAILOVER_INTERVALS) failovers.push(await failover(interval));
  results.failover = failovers;
  console.log(JSON.stringify(results, null, 2));
} finally {
  for (const file of switches) load.off(file);
  rmSync(root, { recursive: true, force: true });
}

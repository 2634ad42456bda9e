import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { signedFetch } from '../../cli/client.js';
import { lagAwarenessFromEnv } from '../../node/swim/service.js';
import type { NodeEvent } from '../../protocol/api/events.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { poll } from '../../testnet/poll.js';
import { CpuQuotas } from './starvation-cgroup.js';

/**
 * Slow is not dead, on real processes (issue 19): five `shoal` nodes on loopback, each in a
 * CPU cgroup allowed a quarter of a core, with busy processes beside them, run a
 * replicated workload and a Job every so often for `durationMs`, while every node's member
 * view is sampled. Every node is alive throughout, so any member a node holds dead is a
 * false death: it is counted from the nodes' own counters (`swim.deaths` in /v1/status,
 * which misses none) and from the samples. Then the quotas are lifted and the hogs
 * stopped, and the checks run: each Job index started once, no slot of the workload ran
 * on two nodes at once, and every write is on every node.
 */
export interface StarvationOptions {
  dir: string;
  nodes?: number;
  /** Each node's CPU quota, as a share of one core (default a quarter). */
  cpuShare?: number;
  /** Busy processes beside the nodes, outside their cgroups (default: one per core). */
  hogs?: number;
  durationMs: number;
  /** False: the nodes run with SHOAL_SWIM_LAG_AWARENESS=off, Lifeguard as memberlist has it (default: as this process's environment says). */
  lagAwareness?: boolean;
  /** A new Job is applied this often, through the nodes in turn (default 20 s). */
  jobEveryMs?: number;
  log?: (line: string) => void;
}

export interface StarvationResult {
  /** How the nodes were starved: a cgroup version, or why there were no quotas (then only the hogs starve them). */
  quotas: string;
  nodes: number;
  hogs: number;
  lagAwareness: boolean;
  durationMs: number;
  /** Members held dead, by each node, from its counter: every one is false. */
  deathsByNode: number[];
  /** The same seen in the samples of the member views, `observer sees member dead at +s`. */
  deadSeen: string[];
  /** Samples of every node's member view taken, and those a node did not answer in time. */
  samples: { taken: number; unanswered: number };
  /** Job indexes started more than once, `Job/default/batch-2#1 started 2 times`. */
  jobIndexesRunTwice: string[];
  jobs: { applied: number; complete: number; indexesStarted: number };
  /** Workload slots seen running on two nodes at once. */
  slotsRunTwice: string[];
  /** Writes (applies) acknowledged, those no node acknowledged (after APPLY_ATTEMPTS), and acknowledged ones some node did not hold at the end. */
  writes: { acknowledged: number; unacknowledged: string[]; missing: string[] };
  /** Each node's worst event-loop lag (its swim.worstLagMs) and the time its quota held it back. */
  worstLagMs: number[];
  throttledS: number[];
}

const WORKLOAD = `apiVersion: shoal/v1
kind: Workload
metadata: {name: steady}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "while true; do sleep 1; done"]
  replicas: 5
  resources: {cpu: 50m, memory: 8Mi}
`;

const job = (name: string): string => `apiVersion: shoal/v1
kind: Job
metadata: {name: ${name}}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "sleep 2"]
  completions: 4
  parallelism: 2
  resources: {cpu: 50m, memory: 8Mi}
`;

const SAMPLE_EVERY_MS = 500;
const SAMPLE_TIMEOUT_MS = 2_000;
const EVENTS_EVERY_MS = 10_000;
const SETTLE_MS = 90_000;
const APPLY_ATTEMPTS = 5;
/** Once the quotas are lifted a node answers fast; a node still catching up may take a while. */
const CHECK_TIMEOUT_MS = 10_000;

export async function runStarvation(options: StarvationOptions): Promise<StarvationResult> {
  const nodes = options.nodes ?? 5;
  const hogCount = options.hogs ?? cpus().length;
  const lagAwareness = options.lagAwareness ?? lagAwarenessFromEnv();
  const log = options.log ?? (() => undefined);
  const quotas = await CpuQuotas.create(`shoal-starve-${process.pid}`, nodes, options.cpuShare ?? 0.25);
  const hogs: ChildProcess[] = [];
  const replicas = new LocalReplicas('process');
  let cluster: LocalCluster | undefined;
  try {
    for (let i = 0; i < hogCount; i++) hogs.push(spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
    log(`${hogCount} hogs; quotas: ${typeof quotas === 'string' ? quotas : `cgroup ${quotas.version}, ${options.cpuShare ?? 0.25} of a core per node`}`);
    cluster = await startStarved(options.dir, nodes, quotas, lagAwareness);
    const first = cluster.nodes[0] as ShoalNodeProcess;
    await waitForMembers(first.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === nodes, 120_000);
    log(`${nodes} nodes up and joined`);
    const run = new StarvedRun(cluster, replicas, options.dir, log);
    if (!(await run.apply('steady', WORKLOAD, 0))) throw new Error('no node acknowledged the workload');
    await run.sampleFor(options.durationMs, options.jobEveryMs ?? 20_000);
    // The checks read a cluster that runs freely again: what is lost or doubled by now stays so.
    if (typeof quotas !== 'string') quotas.lift();
    for (const hog of hogs) hog.kill('SIGKILL');
    log('quotas lifted, hogs stopped: checking');
    return {
      ...(await run.conclude()),
      quotas: typeof quotas === 'string' ? quotas : `cgroup ${quotas.version}`,
      nodes,
      hogs: hogCount,
      lagAwareness,
      durationMs: options.durationMs,
      throttledS: cluster.nodes.map((_, i) => (typeof quotas === 'string' ? 0 : Math.round(quotas.throttledMs(i + 1) / 1000))),
    };
  } finally {
    for (const hog of hogs) hog.kill('SIGKILL');
    await cluster?.stop();
    if (cluster !== undefined) await replicas.removeAll(cluster.nodes);
    if (typeof quotas !== 'string') await quotas.remove();
  }
}

/** The cluster, each node forked inside its own cgroup (node-1 with the harness inside for the few seconds it starts). */
async function startStarved(dir: string, nodes: number, quotas: CpuQuotas | string, lagAwareness: boolean): Promise<LocalCluster> {
  const env = { SHOAL_SWIM_LAG_AWARENESS: lagAwareness ? 'on' : 'off' };
  const inside = <T>(i: number, start: () => T): T => (typeof quotas === 'string' ? start() : quotas.spawnInside(i, start));
  // startLocalCluster forks node-1 after an await: the harness waits inside node-1's group meanwhile.
  if (typeof quotas !== 'string') quotas.enter(1);
  const cluster = await startLocalCluster({ dir, nodes: 1, args: ['--runtime', 'process'], nodeEnv: () => env }).finally(() => {
    if (typeof quotas !== 'string') quotas.goHome();
  });
  const added: Promise<ShoalNodeProcess>[] = [];
  for (let i = 2; i <= nodes; i++) added.push(inside(i, () => cluster.add(`node-${i}`)));
  await Promise.all(added);
  return cluster;
}

/** What the sampling records while the nodes starve, and the checks after. */
class StarvedRun {
  private readonly startedMs = Date.now();
  private readonly deadSeen = new Set<string>();
  private readonly samples = { taken: 0, unanswered: 0 };
  private readonly events = new Map<string, NodeEvent>();
  private readonly slotsRunTwice = new Set<string>();
  private readonly written = new Set<string>();
  private readonly jobs: string[] = [];
  private readonly unacknowledged: string[] = [];

  constructor(
    private readonly cluster: LocalCluster,
    private readonly replicas: LocalReplicas,
    private readonly dir: string,
    private readonly log: (line: string) => void,
  ) {}

  private get nodes(): ShoalNodeProcess[] {
    return this.cluster.nodes;
  }

  /** `path` from `node`'s API, or undefined when it does not answer within `timeoutMs`. */
  private async get<T>(node: ShoalNodeProcess, path: string, timeoutMs = SAMPLE_TIMEOUT_MS): Promise<T | undefined> {
    try {
      const response = await signedFetch(this.cluster.operatorKey)(`${node.api}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
      return response.ok ? ((await response.json()) as T) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * `shoal apply` through node `through`, then the next nodes, until one acknowledges it (a
   * starved node may time out); true once one did. Only an acknowledged write must reach
   * every node; what none acknowledged is counted apart.
   */
  async apply(name: string, manifest: string, through: number): Promise<boolean> {
    const file = join(this.dir, `${name}.yaml`);
    writeFileSync(file, manifest);
    for (let attempt = 0; attempt < APPLY_ATTEMPTS; attempt++) {
      const node = this.nodes[(through + attempt) % this.nodes.length] as ShoalNodeProcess;
      const applied = await runShoal(['apply', '-f', file, '--api', node.apiAddress, '--key', this.cluster.operatorKey], { timeoutMs: 60_000 });
      if (applied.code !== 0) continue;
      this.written.add(`${manifest.includes('kind: Job') ? 'Job' : 'Workload'}/default/${name}`);
      return true;
    }
    this.unacknowledged.push(name);
    return false;
  }

  async sampleFor(durationMs: number, jobEveryMs: number): Promise<void> {
    const endMs = Date.now() + durationMs;
    let nextJobMs = Date.now();
    let jobsTried = 0;
    let nextEventsMs = Date.now() + EVENTS_EVERY_MS;
    const pending: Promise<unknown>[] = [];
    while (Date.now() < endMs) {
      const tickMs = Date.now();
      if (tickMs >= nextJobMs) {
        const name = `batch-${++jobsTried}`;
        pending.push(this.apply(name, job(name), jobsTried).then((acknowledged) => acknowledged && this.jobs.push(`Job/default/${name}`)));
        nextJobMs += jobEveryMs;
      }
      if (tickMs >= nextEventsMs) {
        pending.push(this.collectEvents());
        nextEventsMs += EVENTS_EVERY_MS;
      }
      await Promise.all([this.sampleViews(), this.sampleSlots()]);
      await delay(Math.max(0, tickMs + SAMPLE_EVERY_MS - Date.now()));
    }
    await Promise.all(pending);
    this.log(`sampled for ${Math.round(durationMs / 1000)} s: ${this.samples.taken} views (${this.samples.unanswered} unanswered), ${this.deadSeen.size} members seen dead`);
  }

  private async sampleViews(): Promise<void> {
    const atS = ((Date.now() - this.startedMs) / 1000).toFixed(1);
    await Promise.all(
      this.nodes.map(async (node, i) => {
        this.samples.taken++;
        const members = await this.get<{ id: string; state: string }[]>(node, '/v1/nodes');
        if (members === undefined) this.samples.unanswered++;
        for (const m of members ?? []) if (m.state === 'dead') this.deadSeen.add(`node-${i + 1} sees ${this.nameOf(m.id)} dead at +${atS} s`);
      }),
    );
  }

  /** A slot of the steady workload running on two nodes at once, from the process runtimes' own records. */
  private async sampleSlots(): Promise<void> {
    const running = await this.replicas.running(this.nodes).catch(() => new Map());
    const where = new Map<string, string[]>();
    for (const [node, list] of running) for (const r of list) where.set(`${r.workload}#${r.slot}`, [...(where.get(`${r.workload}#${r.slot}`) ?? []), this.nameOf(node)]);
    for (const [slot, on] of where) if (on.length > 1 && slot.startsWith('Workload/')) this.slotsRunTwice.add(`${slot} on ${on.join(' and ')}`);
  }

  /** Each node's own events (kept 1,000 deep, so read as they come): every start of a replica, and where. */
  private async collectEvents(timeoutMs = SAMPLE_TIMEOUT_MS): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        for (const e of (await this.get<NodeEvent[]>(node, '/v1/events', timeoutMs)) ?? []) this.events.set(`${e.node}|${e.atMs}|${e.kind}|${e.object}|${e.message}`, e);
      }),
    );
  }

  async conclude(): Promise<Omit<StarvationResult, 'quotas' | 'nodes' | 'hogs' | 'lagAwareness' | 'durationMs' | 'throttledS'>> {
    const missing = await this.settleWrites();
    const complete = await this.settleJobs();
    for (let attempt = 0; attempt < 3; attempt++) await this.collectEvents(CHECK_TIMEOUT_MS);
    const starts = new Map<string, number>();
    for (const e of this.events.values()) {
      if (e.kind !== 'started' || !e.object.startsWith('Job/')) continue;
      const slot = `${e.object}#${/slot (\d+)/.exec(e.message)?.[1]}`;
      starts.set(slot, (starts.get(slot) ?? 0) + 1);
    }
    const statuses = await Promise.all(
      this.nodes.map((node, i) =>
        poll(`node-${i + 1}'s status`, () => this.get<{ swim: { deaths: number; worstLagMs: number } }>(node, '/v1/status', CHECK_TIMEOUT_MS), SETTLE_MS),
      ),
    );
    return {
      deathsByNode: statuses.map((s) => s.swim.deaths),
      deadSeen: [...this.deadSeen],
      samples: this.samples,
      jobIndexesRunTwice: [...starts].filter(([, n]) => n > 1).map(([slot, n]) => `${slot} started ${n} times`),
      jobs: { applied: this.jobs.length, complete, indexesStarted: starts.size },
      slotsRunTwice: [...this.slotsRunTwice],
      writes: { acknowledged: this.written.size, unacknowledged: this.unacknowledged, missing },
      worstLagMs: statuses.map((s) => s.swim.worstLagMs),
    };
  }

  /** Every write on every node, once they have had the time to spread; what is still missing then. */
  private async settleWrites(): Promise<string[]> {
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      const missing = (await Promise.all(this.nodes.map((node, i) => this.lacking(node, i)))).flat();
      if (missing.length === 0 || Date.now() > deadline) return missing;
      await delay(1_000);
    }
  }

  /** The writes node `i` does not hold (all of them, if it does not answer). */
  private async lacking(node: ShoalNodeProcess, i: number): Promise<string[]> {
    const held = new Set<string>();
    // Unanswered: it holds nothing we can see.
    for (const kind of ['Workload', 'Job']) for (const o of (await this.get<{ key: string }[]>(node, `/v1/objects?kind=${kind}`, CHECK_TIMEOUT_MS)) ?? []) held.add(o.key);
    return [...this.written].filter((key) => !held.has(key)).map((key) => `node-${i + 1} lacks ${key}`);
  }

  /** Waits for the Jobs to complete (the last may have been applied just before the end); how many did. */
  private async settleJobs(): Promise<number> {
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      const jobs = (await this.get<{ key: string; state: string }[]>(this.nodes[0] as ShoalNodeProcess, '/v1/jobs', CHECK_TIMEOUT_MS)) ?? [];
      const complete = jobs.filter((j) => this.jobs.includes(j.key) && j.state === 'complete').length;
      if (complete === this.jobs.length || Date.now() > deadline) return complete;
      await delay(1_000);
    }
  }

  private nameOf(peerId: string): string {
    const i = this.nodes.findIndex((n) => n.peerId === peerId);
    return i < 0 ? peerId.slice(-6) : `node-${i + 1}`;
  }
}

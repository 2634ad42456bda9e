import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { signedFetch } from '../cli/client.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../testnet/local/cluster.js';
import { cpuSeconds, rssMb } from './proc-stats.js';
import { startSerfCluster, type SerfCluster } from './serf-cluster.js';
import { round, spread, type Spread } from './stats.js';

/**
 * `npm run bench:footprint`: what an idle, joined node costs, Shoal's beside HashiCorp
 * Serf's (Debian's `serf`, memberlist inside), both on the LAN timing profile, in clusters
 * of 5 and 20 on this host, as JSON. Both clusters run at once, so they idle in the same
 * window under the same load: RSS from /proc/PID/status and CPU (utime + stime from
 * /proc/PID/stat) over FOOTPRINT_IDLE_S seconds (default 60) after FOOTPRINT_SETTLE_S
 * (default 15) of settling. Then crash to dead: kill -9 one member of each and time until
 * every other member has declared it dead (Shoal's "member changed" log record) or failed
 * (Serf's member-failed event), Serf's first, then Shoal's.
 * FOOTPRINT_SIZES=5,20 picks the cluster sizes. Shoal nodes run the process runtime.
 */
const SIZES = (process.env.FOOTPRINT_SIZES ?? '5,20').split(',').map(Number);
const IDLE_S = Number(process.env.FOOTPRINT_IDLE_S ?? 60);
const SETTLE_S = Number(process.env.FOOTPRINT_SETTLE_S ?? 15);
const CRASH_TIMEOUT_MS = 60_000;
const JOIN_TIMEOUT_MS = 45_000;
const SERF_BASE_PORT = Number(process.env.FOOTPRINT_SERF_PORT ?? 27_400);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const load = (): number[] => loadavg().map((l) => round(l, 1) ?? 0);

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} with uncommitted changes` : head;
  } catch {
    return 'unknown';
  }
}

interface IdleFigures {
  rssMb: Spread;
  /** The largest RSS each process reached in the window, sampled every second. */
  rssPeakMb: Spread;
  cpuPercentOfOneCore: Spread;
}

/** RSS and CPU of every pid over the same idle window, each group on its own. */
async function idleWindow(groups: Record<string, number[]>): Promise<Record<string, IdleFigures & { exitedInWindow: number }>> {
  const live = (pid: number): boolean => existsSync(`/proc/${pid}/stat`);
  // One that ended before the window is counted with those that end in it (and, for a Shoal node, its output printed by the caller).
  const all = Object.values(groups).flat().filter(live);
  const cpuBefore = new Map(all.map((pid) => [pid, cpuSeconds(pid)]));
  const peak = new Map(all.map((pid) => [pid, rssMb(pid)]));
  const started = performance.now();
  while (performance.now() - started < IDLE_S * 1000) {
    await sleep(1_000);
    for (const pid of all.filter(live)) peak.set(pid, Math.max(peak.get(pid) ?? 0, rssMb(pid)));
  }
  const seconds = (performance.now() - started) / 1000;
  return Object.fromEntries(
    Object.entries(groups).map(([name, all]) => {
      // A process that ended in the window is counted, not measured: its figures would be a part of the window.
      const pids = all.filter((pid) => live(pid) && cpuBefore.has(pid));
      return [
        name,
        {
          rssMb: spread(pids.map(rssMb), 1),
          rssPeakMb: spread(
            pids.map((pid) => peak.get(pid) ?? 0),
            1,
          ),
          cpuPercentOfOneCore: spread(
            pids.map((pid) => ((cpuSeconds(pid) - (cpuBefore.get(pid) ?? 0)) / seconds) * 100),
            2,
          ),
          exitedInWindow: all.length - pids.length,
        },
      ];
    }),
  );
}

interface CrashFigures {
  /** Members that declared the killed one dead within the time allowed, of those left. */
  reported: string;
  /** Per surviving member, kill to its verdict; max is "dead at every member". */
  killToDeadMs: Spread;
}

const crashFigures = (delays: (number | undefined)[]): CrashFigures => {
  const seen = delays.filter((d): d is number => d !== undefined);
  return { reported: `${seen.length}/${delays.length}`, killToDeadMs: spread(seen, 0) };
};

async function serfCrashToFailed(serf: SerfCluster): Promise<CrashFigures> {
  const victim = serf.agents[serf.agents.length - 1];
  if (victim === undefined) throw new Error('no serf agent');
  const survivors = serf.agents.filter((a) => a !== victim);
  const killedAt = Date.now();
  victim.child.kill('SIGKILL');
  const verdict = (agent: (typeof survivors)[number]): number | undefined => serf.failedAt(agent, victim.name).find((ms) => ms >= killedAt);
  while (Date.now() - killedAt < CRASH_TIMEOUT_MS && survivors.some((a) => verdict(a) === undefined)) await sleep(200);
  return crashFigures(survivors.map((a) => (verdict(a) === undefined ? undefined : (verdict(a) as number) - killedAt)));
}

/** The time (pino's, ms since the epoch) a node logged `member` as `change` (suspect, dead), at or after `sinceMs`. */
function changedAt(output: string, member: string, change: string, sinceMs: number): number | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes('"member changed"') || !line.includes(member)) continue;
    try {
      const record = JSON.parse(line) as { member?: string; change?: string; time?: number };
      if (record.member === member && record.change === change && (record.time ?? 0) >= sinceMs) return record.time;
    } catch {
      // A line cut short: the rest is still to come.
    }
  }
  return undefined;
}

/** Shoal's verdicts, and beside them what tells a slow verdict from a lost one: who knew the victim alive, when each suspected it. */
async function shoalCrashToDead(shoal: LocalCluster): Promise<CrashFigures & { sawVictimAlive: string; killToSuspectMs: Spread }> {
  const victim = shoal.nodes[shoal.nodes.length - 1];
  if (victim === undefined) throw new Error('no shoal node');
  const survivors = shoal.nodes.filter((n) => n !== victim);
  const fetchAs = signedFetch(shoal.operatorKey);
  const sawAlive = await Promise.all(
    survivors.map(async (n) => {
      const members = (await (await fetchAs(`${n.api}/v1/nodes`)).json().catch(() => [])) as { id: string; state: string }[];
      return members.some((m) => m.id === victim.peerId && m.state === 'alive');
    }),
  );
  const killedAt = Date.now();
  victim.child.kill('SIGKILL');
  const verdict = (node: (typeof survivors)[number]): number | undefined => changedAt(node.output(), victim.peerId, 'dead', killedAt);
  while (Date.now() - killedAt < CRASH_TIMEOUT_MS && survivors.some((n) => verdict(n) === undefined)) await sleep(200);
  const suspected = survivors.flatMap((n) => changedAt(n.output(), victim.peerId, 'suspect', killedAt) ?? []).map((ms) => ms - killedAt);
  return {
    ...crashFigures(survivors.map((n) => (verdict(n) === undefined ? undefined : (verdict(n) as number) - killedAt))),
    sawVictimAlive: `${sawAlive.filter(Boolean).length}/${survivors.length}`,
    killToSuspectMs: spread(suspected, 0),
  };
}

/**
 * Ms from now until every node lists all `nodes` members alive, or undefined after
 * JOIN_TIMEOUT_MS: a slow join on a busy host is recorded, and the figures taken all the same.
 */
async function everyNodeSeesAll(shoal: LocalCluster, nodes: number): Promise<number | undefined> {
  const started = Date.now();
  const pending = new Set(shoal.nodes);
  while (pending.size > 0 && Date.now() - started < JOIN_TIMEOUT_MS) {
    for (const node of [...pending]) {
      const left = JOIN_TIMEOUT_MS - (Date.now() - started);
      if (left <= 0) break;
      const sees = await waitForMembers(node.api, shoal.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === nodes, Math.min(left, 5_000)).then(
        () => true,
        () => false,
      );
      if (sees) pending.delete(node);
    }
  }
  return pending.size === 0 ? Date.now() - started : undefined;
}

async function measure(nodes: number, dir: string): Promise<object> {
  const serf = await startSerfCluster({ dir: join(dir, 'serf'), nodes, basePort: SERF_BASE_PORT, profile: 'lan' });
  let shoal: LocalCluster | undefined;
  try {
    // Info level for the "member changed" records; an idle node logs nothing else at it.
    shoal = await startLocalCluster({ dir: join(dir, 'shoal'), nodes, preset: 'lan', args: ['--runtime', 'process'], nodeEnv: () => ({ SHOAL_LOG_LEVEL: 'info' }) });
    const joinedMs = await everyNodeSeesAll(shoal, nodes);
    await sleep(SETTLE_S * 1000);
    const loadBefore = load();
    const idle = await idleWindow({ shoal: shoal.nodes.map((n) => n.child.pid ?? -1), serf: serf.agents.map((a) => a.pid) });
    const loadAfter = load();
    for (const node of shoal.nodes.filter((n) => n.child.exitCode !== null || n.child.signalCode !== null))
      console.error(`a shoal node exited (${node.child.exitCode ?? node.child.signalCode}):\n${node.output().slice(-3_000)}`);
    const serfCrash = await serfCrashToFailed(serf);
    await serf.stop();
    const shoalCrash = await shoalCrashToDead(shoal);
    return {
      nodes,
      shoalJoined: joinedMs === undefined ? `not every node saw ${nodes} alive within ${JOIN_TIMEOUT_MS} ms` : { everyNodeSawAllAliveMs: joinedMs },
      loadAverage: { before: loadBefore, after: loadAfter },
      idle,
      crashToDead: { shoal: shoalCrash, serf: serfCrash },
    };
  } finally {
    await serf.stop();
    await shoal?.stop();
  }
}

const results: object[] = [];
for (const nodes of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-footprint-'));
  try {
    const figures = await measure(nodes, dir);
    console.error(JSON.stringify(figures));
    results.push(figures);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(
  JSON.stringify(
    {
      machine: { cores: cpus().length, model: cpus()[0]?.model, node: process.version },
      date: new Date().toISOString(),
      commit: commit(),
      idleSeconds: IDLE_S,
      settleSeconds: SETTLE_S,
      shoal: { preset: 'lan', runtime: 'process' },
      serf: { version: execFileSync('serf', ['version'], { encoding: 'utf8' }).split('\n')[0], profile: 'lan' },
      clusters: results,
    },
    null,
    2,
  ),
);

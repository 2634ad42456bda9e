import '../node/polyfill.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { signDelta, type Delta, type Op } from '../crdt/index.js';
import { loadOperatorKey, loadOrCreateOperatorKey, type OperatorKey } from '../node/operator-key.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../testnet/local/cluster.js';
import { runShoal, type ShoalNodeProcess } from '../testnet/local/shoal-process.js';
import { percentile, round } from './stats.js';
import { signedFetch } from '../cli/client.js';
import { headCommit, withBaseWorktree } from './base-worktree.js';

/**
 * `npm run bench:trust`: the cost of trust, as JSON (docs/benchmarks.md).
 * - merge: deltas per second a replica receives (operator workloads, then node
 *   decisions and statuses) on this tree and on the commit before admission and chains
 *   (SHOAL_BASE, default e1ed5a4), run side by side, and their ratio;
 * - flood: a 3-node cluster's RSS and the latency of one operator's writes, idle for
 *   SHOAL_FLOOD_S seconds (default 60), then while another key floods one node for as
 *   long, with `--write-quota SHOAL_QUOTA` (default 10/200) on every node.
 */
const BASE = process.env.SHOAL_BASE ?? 'e1ed5a4';
const FLOOD_S = Number(process.env.SHOAL_FLOOD_S ?? 60);
/** One client on 2 cores writes about 30 deltas a second: below the default 50/s, so the bench sets a quota it can outrun. */
const QUOTA = process.env.SHOAL_QUOTA ?? '10/200';

function mergeOn(tree: string): number {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/merge-workload.ts'], { cwd: tree, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`merge workload failed in ${tree}: ${run.stderr}`);
  return (JSON.parse(run.stdout.trim().split('\n').pop() as string) as { deltasPerS: number }).deltasPerS;
}

function merge(): Promise<object> {
  return withBaseWorktree(BASE, ['bench/merge-workload.ts'], (base) => {
    const before = mergeOn(base);
    const after = mergeOn(process.cwd());
    return { base: BASE, beforeDeltasPerS: before, afterDeltasPerS: after, ratio: round(after / before) };
  });
}

const rssMb = (node: ShoalNodeProcess): number => {
  const status = existsSync(`/proc/${node.child.pid}/status`) ? readFileSync(`/proc/${node.child.pid}/status`, 'utf8') : '';
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
};

/** Posts `delta`, with the request signed by its author, as the API requires. */
async function post(node: ShoalNodeProcess, key: OperatorKey | string, delta: Delta): Promise<number> {
  const response = await signedFetch(key)(`${node.api}/v1/deltas`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(delta) });
  await response.arrayBuffer();
  return response.status;
}

class Writer {
  private seq = 0;
  private prev: string | undefined;
  constructor(
    private readonly key: OperatorKey,
    private readonly clusterId: string,
  ) {}

  delta(ops: Op[]): Delta {
    this.seq += 1;
    const delta = signDelta(
      { v: 1, cluster: this.clusterId, author: this.key.publicKey, seq: this.seq, ...(this.prev ? { prev: [this.prev] } : {}), hlc: { wallMs: Date.now(), counter: 0 }, ops },
      this.key.sign,
    );
    return delta;
  }

  accepted(delta: Delta): void {
    this.prev = delta.id;
  }
}

/** One operator's writes, one every 250 ms, and every node's RSS each second, for `seconds`. */
async function phase(cluster: LocalCluster, honest: Writer, seconds: number, label: string): Promise<object> {
  const latencies: number[] = [];
  const rss: number[] = [];
  const until = Date.now() + seconds * 1000;
  let i = 0;
  const sampler = setInterval(() => rss.push(...cluster.nodes.map(rssMb)), 1000);
  while (Date.now() < until) {
    const delta = honest.delta([{ key: `Workload/${label}/w${i++}`, set: { 'spec.image': 'x', 'spec.replicas': 0 } }]);
    const started = performance.now();
    if ((await post(cluster.nodes[0] as ShoalNodeProcess, cluster.operatorKey, delta)) === 201) {
      latencies.push(performance.now() - started);
      honest.accepted(delta);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  clearInterval(sampler);
  return {
    writes: latencies.length,
    writeP50Ms: round(percentile(latencies, 50)),
    writeP99Ms: round(percentile(latencies, 99)),
    rssMaxMb: round(Math.max(...rss), 0),
    rssP50Mb: round(percentile(rss, 50), 0),
  };
}

async function flood(): Promise<object> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-trust-'));
  const cluster = await startLocalCluster({ dir, nodes: 3, args: ['--runtime', 'process', '--write-quota', QUOTA] });
  try {
    for (const node of cluster.nodes) await waitForMembers(node.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 30_000);
    const first = cluster.nodes[0] as ShoalNodeProcess;
    const clusterId = ((await (await signedFetch(cluster.operatorKey)(`${first.api}/v1/status`)).json()) as { cluster: string }).cluster;
    const flooderKey = loadOrCreateOperatorKey(join(dir, 'flooder.key'));
    const added = await runShoal(['operator', 'add', flooderKey.publicKey, '--key', cluster.operatorKey, '--api', first.apiAddress]);
    if (added.code !== 0) throw new Error(added.stderr);
    await new Promise((r) => setTimeout(r, 2_000));
    const honest = new Writer(loadOperatorKey(cluster.operatorKey), clusterId);
    const idle = await phase(cluster, honest, FLOOD_S, 'idle');
    const flooder = new Writer(flooderKey, clusterId);
    const codes = new Map<number, number>();
    let flooding = true;
    const target = cluster.nodes[1] as ShoalNodeProcess;
    const floods = Array.from({ length: 4 }, async () => {
      while (flooding) {
        const delta = flooder.delta([{ key: `Workload/flood/w${Math.random().toString(36).slice(2)}`, set: { 'spec.image': 'x'.repeat(1024), 'spec.replicas': 0 } }]);
        const status = await post(target, flooderKey, delta);
        if (status === 201) flooder.accepted(delta);
        codes.set(status, (codes.get(status) ?? 0) + 1);
      }
    });
    const during = await phase(cluster, honest, FLOOD_S, 'during');
    flooding = false;
    await Promise.all(floods);
    const refused = Object.fromEntries(codes);
    return { seconds: FLOOD_S, quota: QUOTA, idle, flood: { ...during, floodAnswers: refused } };
  } finally {
    await cluster.stop(0);
    rmSync(dir, { recursive: true, force: true });
  }
}

const result = {
  machine: `${cpus().length} cores, ${cpus()[0]?.model ?? ''}`,
  date: new Date().toISOString(),
  commit: headCommit(),
  merge: await merge(),
  flood: await flood(),
};
console.log(JSON.stringify(result, null, 2));

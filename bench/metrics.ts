import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSoloNode } from '../testnet/local/solo-node.js';
import { encodeUsageSummary } from '../protocol/usage/usage-codec.js';
import { LocalReplicas } from '../testnet/local/replicas.js';
import { runShoal, startShoal, type ShoalNodeProcess } from '../testnet/local/shoal-process.js';
import { poll } from '../testnet/poll.js';
import { percentile, round } from './stats.js';

/**
 * `npm run bench:metrics`: (1) a scrape of one node holding 100 workloads and reporting
 * 1,000 replicas of its own, in-process (the registry alone) and over HTTP, beside a
 * Prometheus server's scrape of its own /metrics on the same machine; (2) the idle CPU
 * of two nodes side by side, each running 20 idle replicas, one sampling their usage
 * every 5 s and one not.
 */
const SCRAPES = Number(process.env.SCRAPES ?? 200);
const CPU_WINDOW_MS = Number(process.env.CPU_WINDOW_MS ?? 60_000);
const root = mkdtempSync(join(tmpdir(), 'shoal-bench-metrics-'));

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

async function timed(run: () => Promise<string>): Promise<{ p50: number | null; p99: number | null; bytes: number; series: number }> {
  let text = '';
  for (let i = 0; i < 10; i++) text = await run();
  const ms: number[] = [];
  for (let i = 0; i < SCRAPES; i++) {
    const started = performance.now();
    text = await run();
    ms.push(performance.now() - started);
  }
  const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  return { p50: round(percentile(ms, 50)), p99: round(percentile(ms, 99)), bytes: Buffer.byteLength(text), series };
}

async function shoalScrape() {
  const dataDir = join(root, 'scrape');
  const key = join(root, 'scrape.key');
  const init = await runShoal(['init', '--data-dir', dataDir, '--key', key]);
  if (init.code !== 0) throw new Error(init.stderr);
  const node = await startSoloNode(dataDir, { usageIntervalMs: 0 });
  try {
    // 100 workloads of 10 replicas that no node may run (a label none has): the document and the plan at scale, no processes.
    const manifests = Array.from(
      { length: 100 },
      (_, i) =>
        `apiVersion: shoal/v1\nkind: Workload\nmetadata: {name: w${i}, labels: {app: w${i}}}\nspec:\n  image: none\n  command: [sleep, "3600"]\n  replicas: 10\n  placement: {constraints: [{key: bench, operator: exists}]}\n`,
    ).join('---\n');
    writeFileSync(join(root, 'workloads.yaml'), manifests);
    const applied = await runShoal(['apply', '-f', join(root, 'workloads.yaml'), '--api', node.apiUrl.replace('http://', ''), '--key', key]);
    if (applied.code !== 0) throw new Error(applied.stderr);
    // ...and 1,000 replicas of its own in its usage, as its sampler would report them.
    const replicas = Array.from({ length: 1_000 }, (_, i) => ({
      workload: `Workload/default/w${i % 100}`,
      slot: Math.floor(i / 100),
      epoch: 1,
      cpuMillis: i % 250,
      memoryBytes: 20_000_000 + i,
    }));
    const verdict = node.usage.fromGossip(node.peerId, encodeUsageSummary({ node: node.peerId, atMs: Date.now(), replicas }));
    if (verdict !== 'accept') throw new Error(`the usage summary was not taken: ${verdict}`);
    return {
      inProcess: await timed(() => node.metrics.metrics()),
      http: await timed(async () => (await fetch(`${node.apiUrl}/metrics`)).text()),
    };
  } finally {
    await node.stop();
  }
}

async function prometheusScrape() {
  const port = await freePort();
  const config = join(root, 'prometheus.yml');
  writeFileSync(config, 'global: {scrape_interval: 1h}\n');
  const server = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(root, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    await poll('prometheus answers', async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok || undefined, 30_000);
    return await timed(async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  } finally {
    server.kill('SIGKILL');
  }
}

/** CPU seconds a process has used (utime + stime, at 100 ticks a second). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function idleCpu() {
  const nodes: { label: string; node: ShoalNodeProcess; key: string }[] = [];
  const replicas = new LocalReplicas('process');
  try {
    for (const [label, interval] of [
      ['sampling every 5 s', '5'],
      ['sampling off', '0'],
    ] as const) {
      const dataDir = join(root, `idle-${interval}`);
      const key = join(root, `idle-${interval}.key`);
      const init = await runShoal(['init', '--data-dir', dataDir, '--key', key]);
      if (init.code !== 0) throw new Error(init.stderr);
      const node = await startShoal([
        '--data-dir',
        dataDir,
        '--listen',
        '/ip4/127.0.0.1/tcp/0',
        '--api',
        '127.0.0.1:0',
        '--swim-preset',
        'lan',
        '--runtime',
        'process',
        '--usage-interval',
        interval,
      ]);
      writeFileSync(join(root, 'idle.yaml'), 'apiVersion: shoal/v1\nkind: Workload\nmetadata: {name: idle}\nspec:\n  image: none\n  command: [sleep, "3600"]\n  replicas: 20\n');
      const applied = await runShoal(['apply', '-f', join(root, 'idle.yaml'), '--api', node.apiAddress, '--key', key]);
      if (applied.code !== 0) throw new Error(applied.stderr);
      nodes.push({ label, node, key });
    }
    await poll(
      '20 replicas running on each node',
      async () => {
        const running = await replicas.running(nodes.map((n) => n.node));
        return [...running.values()].every((list) => list.length === 20) || undefined;
      },
      120_000,
    );
    // Settled: the starts are over; then both are measured over the same window.
    await new Promise((r) => setTimeout(r, 10_000));
    const before = nodes.map((n) => cpuSeconds(n.node.child.pid as number));
    await new Promise((r) => setTimeout(r, CPU_WINDOW_MS));
    return nodes.map((n, i) => ({ node: n.label, cpuPercentOfOneCore: round(((cpuSeconds(n.node.child.pid as number) - (before[i] as number)) / (CPU_WINDOW_MS / 1000)) * 100) }));
  } finally {
    for (const { node } of nodes) node.child.kill('SIGKILL');
    await replicas.removeAll(nodes.map((n) => n.node));
  }
}

try {
  const scrape = await shoalScrape();
  const prometheus = await prometheusScrape();
  const idle = await idleCpu();
  console.log(
    JSON.stringify(
      {
        machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((l) => round(l)) },
        scrape: {
          workloads: 100,
          ownReplicasReported: 1_000,
          scrapes: SCRAPES,
          shoalInProcessMs: scrape.inProcess,
          shoalHttpMs: scrape.http,
          prometheusOwnMetricsHttpMs: prometheus,
        },
        idleCpu: { replicasPerNode: 20, windowMs: CPU_WINDOW_MS, nodes: idle },
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCluster } from '../node/cluster.js';
import { loadOperatorKey } from '../node/operator-key.js';
import { runShoal, SHOAL_BIN } from '../testnet/local/shoal-process.js';
import { operatorHistory, storeDeltas } from '../testnet/local/stored-deltas.js';
import { percentile, round } from './stats.js';

/**
 * `npm run bench:restart`: a node's restart on a data directory holding N stored deltas,
 * from the start command to "desired state loaded", to "shoal node started" and to a
 * 200 from /v1/ready, beside what any Node program pays to start (`node -e 0`), the CLI
 * alone (`shoal --version`) and a Serf agent's start to its first answered RPC.
 */
const RUNS = Number(process.env.RUNS ?? 5);
const SIZES = [1_000, 10_000];

async function dataDirWith(n: number): Promise<{ dir: string; dataDir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-restart-'));
  const dataDir = join(dir, 'node');
  const keyPath = join(dir, 'operator.key');
  const init = await runShoal(['init', '--data-dir', dataDir, '--key', keyPath]);
  if (init.code !== 0) throw new Error(`shoal init failed: ${init.stderr}`);
  await storeDeltas(dataDir, operatorHistory(n, loadCluster(dataDir).id, loadOperatorKey(keyPath)));
  return { dir, dataDir };
}

interface RestartTimes {
  loadedMs: number;
  startedMs: number;
  readyMs: number;
}

/** One start of the node on dataDir, timed from the spawn by its own log records' clock. */
async function restartOnce(dataDir: string): Promise<RestartTimes> {
  const spawned = Date.now();
  const child = spawn(SHOAL_BIN, ['start', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--swim-preset', 'local', '--log-format', 'json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SHOAL_LOG_LEVEL: 'info' },
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  try {
    let out = '';
    const records = (): { msg?: string; time?: number; api?: string }[] =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as { msg?: string; time?: number; api?: string }];
          } catch {
            return [];
          }
        });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 120_000;
    let started: { time?: number; api?: string } | undefined;
    while ((started = records().find((r) => r.msg === 'shoal node started')) === undefined) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the node did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    while ((await fetch(`${started.api}/v1/ready`).catch(() => undefined))?.status !== 200) {
      if (Date.now() > deadline) throw new Error(`the node was not ready:\n${out}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const readyMs = Date.now() - spawned;
    const loaded = records().find((r) => r.msg === 'desired state loaded');
    return { loadedMs: (loaded?.time ?? NaN) - spawned, startedMs: (started.time ?? NaN) - spawned, readyMs };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** Spawn to exit of a command, in ms. */
async function runTime(command: string, args: string[]): Promise<number> {
  const started = Date.now();
  await new Promise<void>((resolve, reject) =>
    spawn(command, args, { stdio: 'ignore' })
      .on('close', () => resolve())
      .on('error', reject),
  );
  return Date.now() - started;
}

/** A Serf agent with a snapshot: spawn to its first answered `serf members`. */
async function serfStart(dir: string, port: number): Promise<number> {
  const rpc = `127.0.0.1:${port + 1}`;
  const started = Date.now();
  const agent = spawn('serf', ['agent', '-node', 'bench', '-bind', `127.0.0.1:${port}`, '-rpc-addr', rpc, '-snapshot', join(dir, 'serf.snapshot')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => agent.on('close', () => resolve()));
  try {
    for (;;) {
      const code = await new Promise<number | null>((resolve) => spawn('serf', ['members', '-rpc-addr', rpc], { stdio: 'ignore' }).on('close', resolve));
      if (code === 0) return Date.now() - started;
      if (Date.now() - started > 60_000) throw new Error('serf did not answer');
    }
  } finally {
    agent.kill('SIGTERM');
    await exited;
  }
}

const summary = (values: number[]): { p50: number | null; max: number } => ({ p50: round(percentile(values, 50), 0), max: Math.max(...values) });

const results: Record<string, unknown> = {
  machine: { cores: cpus().length, node: process.version, date: new Date().toISOString().slice(0, 10), loadAverage1m: round(loadavg()[0] ?? 0, 1) },
  runs: RUNS,
};
const baseline = { nodeStartMs: [] as number[], cliVersionMs: [] as number[], serfStartToAnswerMs: [] as number[] };
const serfDir = mkdtempSync(join(tmpdir(), 'shoal-bench-serf-'));
try {
  for (let i = 0; i < RUNS; i++) {
    baseline.nodeStartMs.push(await runTime(process.execPath, ['-e', '0']));
    baseline.cliVersionMs.push(await runTime(SHOAL_BIN, ['--version']));
    baseline.serfStartToAnswerMs.push(await serfStart(serfDir, 17_946));
  }
} finally {
  rmSync(serfDir, { recursive: true, force: true });
}
results.baseline = Object.fromEntries(Object.entries(baseline).map(([k, v]) => [k, summary(v)]));
for (const n of SIZES) {
  const { dir, dataDir } = await dataDirWith(n);
  try {
    await restartOnce(dataDir); // the first start also makes the node's identity
    const times: RestartTimes[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await restartOnce(dataDir));
    results[`deltas${n}`] = {
      deltas: n,
      toDesiredStateLoadedMs: summary(times.map((t) => t.loadedMs)),
      toStartedMs: summary(times.map((t) => t.startedMs)),
      toReadyMs: summary(times.map((t) => t.readyMs)),
    };
    console.error(JSON.stringify(results[`deltas${n}`]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(JSON.stringify(results, null, 2));

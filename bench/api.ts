import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, writeOps, type Endpoint } from '../cli/client.js';
import { pinnedFetch } from '../cli/pinned-tls.js';
import { signatureHeaders } from '../node/request-signature.js';
import { loadOperatorKey, type OperatorKey } from '../node/operator-key.js';
import { runShoal, startShoal, type ShoalNodeProcess } from '../testnet/local/shoal-process.js';
import { percentile, round } from './stats.js';

/**
 * `npm run bench:api`: what signing and TLS cost a request, side by side in one run.
 * One cluster, two nodes: one with its API on loopback (plain HTTP), one on this host's
 * own address (HTTPS, pinned). For each: `GET /v1/ready` unsigned (the open route, the
 * bare round trip), `get workloads` signed, and `apply` (the CLI's three signed requests:
 * status, author, delta); then the CLI's start-to-answer for one `get workloads`.
 */
const REQUESTS = Number(process.env.REQUESTS ?? 300);
const CLI_RUNS = Number(process.env.CLI_RUNS ?? 10);

const ownAddress = (): string => {
  const found = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal);
  if (found === undefined) throw new Error('no non-loopback IPv4 address on this host for the TLS node');
  return found.address;
};

async function timed(n: number, run: (i: number) => Promise<unknown>): Promise<{ p50Ms: number | null; p99Ms: number | null }> {
  for (let i = 0; i < 10; i++) await run(-1 - i);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await run(i);
    times.push(performance.now() - t0);
  }
  return { p50Ms: round(percentile(times, 50), 3), p99Ms: round(percentile(times, 99), 3) };
}

/** Reads, on the same document on both nodes: before either path's applies add to it. */
async function measureReads(endpoint: Endpoint, key: OperatorKey): Promise<object> {
  const client = new ApiClient(endpoint, key);
  const bare = endpoint.fingerprint === undefined ? fetch : pinnedFetch(endpoint.fingerprint);
  const ready = await timed(REQUESTS, async () => (await bare(`${endpoint.url}/v1/ready`, {})).arrayBuffer());
  const signing = await timed(REQUESTS, () => signatureHeaders(key, 'GET', `${endpoint.url}/v1/objects?kind=Workload`));
  const get = await timed(REQUESTS, () => client.get('/v1/objects?kind=Workload'));
  return { unsignedReady: ready, signingAlone: signing, getWorkloads: get };
}

const measureApply = (endpoint: Endpoint, key: OperatorKey, label: string) =>
  timed(REQUESTS, (i) => writeOps(new ApiClient(endpoint, key), key, [{ key: `Workload/bench/${label}-${i}`, set: { 'spec.image': 'x', 'spec.replicas': 0 } }]));

async function cliGet(args: string[]): Promise<{ p50Ms: number | null; p99Ms: number | null }> {
  return timed(CLI_RUNS, async () => {
    const run = await runShoal(['get', 'workloads', '-n', 'bench', ...args]);
    if (run.code !== 0) throw new Error(run.stderr);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-api-'));
const nodes: ShoalNodeProcess[] = [];
try {
  const keyPath = join(dir, 'operator.key');
  const init = await runShoal(['init', '--data-dir', join(dir, 'a'), '--key', keyPath]);
  if (init.code !== 0) throw new Error(init.stderr);
  const common = ['--listen', '/ip4/127.0.0.1/tcp/0', '--swim-preset', 'local', '--runtime', 'process'];
  const loopback = await startShoal(['--data-dir', join(dir, 'a'), '--api', '127.0.0.1:0', ...common]);
  nodes.push(loopback);
  const token = (await runShoal(['token', '--data-dir', join(dir, 'a')])).stdout.trim();
  const remote = await startShoal(['--data-dir', join(dir, 'b'), '--api', `${ownAddress()}:0`, '--join', token, ...common]);
  nodes.push(remote);
  const key = loadOperatorKey(keyPath);
  await new Promise((r) => setTimeout(r, 3_000));
  const plainEndpoint = { url: loopback.api };
  const tlsEndpoint = { url: remote.api, fingerprint: remote.apiFingerprint };
  const plain = await measureReads(plainEndpoint, key);
  const tls = await measureReads(tlsEndpoint, key);
  const applies = { loopbackHttp: await measureApply(plainEndpoint, key, 'plain'), tls: await measureApply(tlsEndpoint, key, 'tls') };
  const cliLoopback = await cliGet(['--api', loopback.apiAddress, '--key', keyPath]);
  const cliTls = await cliGet(['--api', remote.apiAddress, '--fingerprint', remote.apiFingerprint ?? '', '--key', keyPath]);
  const version = await timed(CLI_RUNS, () => runShoal(['--version']));
  console.log(
    JSON.stringify(
      {
        machine: { cores: cpus().length, node: process.version, date: new Date().toISOString().slice(0, 10), loadavg: loadavg().map((l) => round(l, 1)) },
        requests: REQUESTS,
        loopbackHttp: { ...plain, apply: applies.loopbackHttp },
        tls: { ...tls, apply: applies.tls },
        cli: { versionOnly: version, getLoopback: cliLoopback, getTls: cliTls },
      },
      null,
      2,
    ),
  );
} finally {
  for (const node of nodes) node.child.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.exited));
  rmSync(dir, { recursive: true, force: true });
}

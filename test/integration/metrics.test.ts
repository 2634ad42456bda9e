import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, startShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { poll } from '../../testnet/poll.js';

/**
 * Each node's /metrics, as Prometheus scrapes it: valid for Debian's promtool, and its
 * counters move when a workload is applied and a node is killed; what a replica uses
 * reaches `shoal top` on every node. Off loopback /metrics needs the bearer token the
 * node was given.
 */
const root = mkdtempSync(join(tmpdir(), 'shoal-it-metrics-'));
let cluster: LocalCluster | undefined;
let single: ShoalNodeProcess | undefined;
const replicas = new LocalReplicas('process');
// An address of this machine outside 127/8 (on lo, so it needs no device): a scrape from it comes from "elsewhere".
const ELSEWHERE = `10.213.${(process.pid >> 8) % 250}.${(process.pid % 250) + 1}`;

test.after(async () => {
  await cluster?.stop(0);
  if (cluster !== undefined) await replicas.removeAll(cluster.nodes);
  single?.child.kill('SIGKILL');
  spawnSync('ip', ['addr', 'del', `${ELSEWHERE}/32`, 'dev', 'lo']);
  rmSync(root, { recursive: true, force: true });
});

const scrape = async (node: ShoalNodeProcess): Promise<string> => {
  const response = await fetch(`${node.api}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics: ${response.status} ${await response.text()}`);
  return response.text();
};

/**
 * Debian's promtool lints the exposition as Prometheus would read it. CI installs it
 * (scripts/ensure-docker.sh) and requires it, as it requires Docker; elsewhere a machine
 * without it skips this one check and says so.
 */
function promtoolAccepts(text: string): void {
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (check.error !== undefined && process.env.SHOAL_REQUIRE_DOCKER !== '1') {
    console.log('promtool is not installed (Debian: apt-get install prometheus): its check of /metrics is skipped');
    return;
  }
  assert.is(check.error, undefined, `promtool: ${String(check.error)}`);
  assert.is(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);
}

/** The sum of a metric's samples whose labels include `labels`. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const has = Object.entries(labels).every(([k, v]) => (match[2] ?? '').includes(`${k}="${v}"`));
    if (has) sum += Number(match[3]);
  }
  return sum;
}

test('every node serves metrics promtool accepts, they move when a workload is applied and a node is killed, and a busy replica shows in shoal top from another node', async () => {
  cluster = await startLocalCluster({ dir: join(root, 'c'), nodes: 3, args: ['--runtime', 'process'] });
  const [first, , third] = cluster.nodes as [ShoalNodeProcess, ShoalNodeProcess, ShoalNodeProcess];
  for (const node of cluster.nodes) await waitForMembers(node.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 60_000);

  const before = await scrape(first);
  promtoolAccepts(before);
  assert.is(value(before, 'shoal_swim_members', { state: 'alive' }), 3);
  for (const family of ['process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'shoal_swim_probes_total', 'shoal_api_request_duration_seconds_count'])
    assert.ok(before.includes(`\n${family}`), `${family} is served`);

  const file = join(root, 'web.yaml');
  writeFileSync(file, `apiVersion: shoal/v1\nkind: Workload\nmetadata: {name: web}\nspec:\n  image: none\n  command: [sleep, "3600"]\n  replicas: 3\n`);
  const applied = await runShoal(['apply', '-f', file, '--api', first.apiAddress, '--key', cluster.operatorKey]);
  assert.is(applied.code, 0, applied.stderr);
  await poll(
    'three replicas running, decided, written and accounted for in the metrics',
    async () => {
      const texts = await Promise.all(cluster?.nodes.map(scrape) ?? []);
      const running = texts.reduce((n, t) => n + value(t, 'shoal_agent_replicas', { state: 'running' }), 0);
      const started = texts.reduce((n, t) => n + value(t, 'shoal_agent_actions_total', { action: 'started' }), 0);
      const decided = texts.reduce((n, t) => n + value(t, 'shoal_scheduler_decisions_total', { outcome: 'placed' }), 0);
      const deltas = value(texts[0] as string, 'shoal_api_requests_total', { method: 'POST', route: '/v1/deltas', code: '201' });
      if (running === 3 && started >= 3 && decided >= 3 && deltas >= 1) return true;
      throw new Error(`running ${running}, started ${started}, placed decisions ${decided}, deltas posted ${deltas}`);
    },
    90_000,
  );
  const after = await scrape(first);
  assert.ok(value(after, 'shoal_state_deltas_accepted_total') > value(before, 'shoal_state_deltas_accepted_total'));
  assert.is(value(after, 'shoal_scheduler_placements'), 3, "the plan's slots per node add up to the replicas");
  assert.ok(after.includes('\nshoal_anti_entropy_digest_age_seconds '), 'three nodes have exchanged digests');
  assert.ok(value(after, 'shoal_event_loop_lag_seconds_count') > 0, "the lag monitor's readings reach the metrics");

  // A replica that burns CPU shows it in `shoal top` on a node that does not run it, and in its own node's metrics.
  writeFileSync(file, `apiVersion: shoal/v1\nkind: Workload\nmetadata: {name: burner}\nspec:\n  image: none\n  command: [sh, -c, "while :; do :; done"]\n`);
  const burning = await runShoal(['apply', '-f', file, '--api', first.apiAddress, '--key', cluster.operatorKey]);
  assert.is(burning.code, 0, burning.stderr);
  const host = await poll(
    'the burner placed',
    async () => {
      const running = await replicas.running((cluster as LocalCluster).nodes);
      const node = (cluster as LocalCluster).nodes.find((n) => (running.get(n.peerId) ?? []).some((r) => r.workload === 'Workload/default/burner'));
      if (node !== undefined) return node;
      throw new Error('no node runs it yet');
    },
    60_000,
  );
  const elsewhere = cluster.nodes.find((n) => n !== host && n !== third) as ShoalNodeProcess;
  type Usage = { workload: string; cpuMillis: number; replicas: { node: string }[] }[];
  const seen = await poll(
    `shoal top workloads on ${elsewhere.peerId.slice(-6)}: the burner over 200m and over web`,
    async () => {
      const top = await runShoal(['top', 'workloads', '-o', 'json', '--api', elsewhere.apiAddress, '--key', (cluster as LocalCluster).operatorKey]);
      if (top.code !== 0) throw new Error(top.stderr);
      const usage = JSON.parse(top.stdout) as Usage;
      const burner = usage.find((w) => w.workload === 'Workload/default/burner');
      const web = usage.find((w) => w.workload === 'Workload/default/web');
      if (burner !== undefined && web !== undefined && web.replicas.length === 3 && burner.cpuMillis > 200 && burner.cpuMillis > web.cpuMillis) return { burner, web };
      throw new Error(`it shows ${top.stdout.replace(/\s+/g, ' ').slice(0, 400)}`);
    },
    60_000,
  );
  assert.is(seen.burner.replicas[0]?.node, host.peerId);
  const nodes = await runShoal(['top', 'nodes', '--api', elsewhere.apiAddress, '--key', cluster.operatorKey]);
  assert.is(nodes.stdout.trim().split('\n').length, 4, `a header and three nodes: ${nodes.stdout}`);
  const hostMetrics = await scrape(host);
  assert.ok(value(hostMetrics, 'shoal_replica_cpu_usage_cores', { workload: 'Workload/default/burner' }) > 0.2, "the running node exposes the replica's CPU");
  assert.ok(value(hostMetrics, 'shoal_replica_memory_usage_bytes', { workload: 'Workload/default/burner' }) > 0);
  await runShoal(['delete', 'workload', 'burner', '--api', first.apiAddress, '--key', cluster.operatorKey]);

  third.child.kill('SIGKILL');
  await poll(
    'node-1 counts node-3 dead',
    async () => {
      const text = await scrape(first);
      if (value(text, 'shoal_swim_members', { state: 'dead' }) === 1 && value(text, 'shoal_swim_member_changes_total', { change: 'dead' }) >= 1) return text;
      throw new Error(`dead members ${value(text, 'shoal_swim_members', { state: 'dead' })}, suspicions ${value(text, 'shoal_swim_member_changes_total', { change: 'suspect' })}`);
    },
    60_000,
  );
  promtoolAccepts(await scrape(first));
});

/** GET over HTTPS to the node's self-signed API, from `localAddress`. */
function httpsGet(url: string, localAddress: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers, rejectUnauthorized: false, timeout: 10_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

test('off loopback, /metrics needs the bearer token the node was started with', async () => {
  execFileSync('ip', ['addr', 'add', `${ELSEWHERE}/32`, 'dev', 'lo']);
  const dir = join(root, 'single');
  const init = await runShoal(['init', '--data-dir', dir, '--key', join(root, 'single.key')]);
  assert.is(init.code, 0, init.stderr);
  const tokenFile = join(root, 'metrics.token');
  writeFileSync(tokenFile, 'a-scrape-token-of-some-length\n');
  single = await startShoal([
    '--data-dir',
    dir,
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
    '--api',
    `${ELSEWHERE}:0`,
    '--swim-preset',
    'local',
    '--runtime',
    'process',
    '--metrics-token-file',
    tokenFile,
  ]);
  const url = `${single.api}/metrics`;
  assert.is(await httpsGet(url, ELSEWHERE), 401, 'no token');
  assert.is(await httpsGet(url, ELSEWHERE, { authorization: 'Bearer not-the-token-at-all' }), 401, 'a wrong token');
  assert.is(await httpsGet(url, ELSEWHERE, { authorization: 'Bearer a-scrape-token-of-some-length' }), 200, 'the token');
  assert.is(await httpsGet(`${single.api}/v1/status`, ELSEWHERE, { authorization: 'Bearer a-scrape-token-of-some-length' }), 401, 'the token opens /metrics only');
});

test.run();

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { request } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signedFetch } from '../../cli/client.js';
import type { AutoscalersJson } from '../../protocol/api/autoscalers.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type CommandResult, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { poll } from '../../testnet/poll.js';
import { get } from './services-scenario.js';

/**
 * Files people already have, applied as they are on three nodes (process runtime): a
 * Kubernetes guestbook (its HorizontalPodAutoscaler becomes the frontend's autoscale) and
 * a Compose shop (test/manifests). Their services answer on every node; a field Shoal
 * cannot honour fails the apply at its line; what `convert` prints, applied again,
 * writes nothing.
 */
const root = mkdtempSync(join(tmpdir(), 'shoal-it-foreign-'));
const GUESTBOOK = new URL('../manifests/guestbook.yaml', import.meta.url).pathname;
const COMPOSE = new URL('../manifests/compose/docker-compose.yml', import.meta.url).pathname;
let cluster: LocalCluster | undefined;
const replicas = new LocalReplicas('process');

// Started at once: the first test needs no cluster, and runs while it starts.
const starting = startLocalCluster({
  dir: join(root, 'c'),
  nodes: 3,
  args: ['--runtime', 'process'],
  nodeArgs: (name) => ['--publish-address', `127.0.0.${Number(name.split('-')[1]) + 30}`],
}).then((started) => (cluster = started));
// The test that needs the cluster awaits it and fails on what went wrong; until then it is no unhandled rejection.
starting.catch(() => undefined);

test.after(async () => {
  await starting.catch(() => undefined);
  await cluster?.stop(0);
  // Replicas outlive their nodes by design: the test ends them.
  if (cluster !== undefined) await replicas.removeAll(cluster.nodes);
  rmSync(root, { recursive: true, force: true });
});

// Each node publishes on an address of its own, as three hosts would.
const publishAddress = (node: ShoalNodeProcess): string => `127.0.0.${Number(basename(node.dataDir).split('-')[1]) + 30}`;

const shoal = (node: ShoalNodeProcess, ...args: string[]) => runShoal([...args, '--api', node.apiAddress, '--key', (cluster as LocalCluster).operatorKey], { timeoutMs: 60_000 });

// What `convert` prints of each file, run once, when first asked for.
let converting: Promise<{ file: string; result: CommandResult }[]> | undefined;
const converted = (): Promise<{ file: string; result: CommandResult }[]> => {
  converting ??= Promise.all([GUESTBOOK, COMPOSE].map(async (file) => ({ file, result: await runShoal(['convert', '-f', file]) })));
  // Whoever asks first may not await it: the test that reads it does, and fails on its error.
  converting.catch(() => undefined);
  return converting;
};

function post(url: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, timeout: 10_000 }, (response) => {
      let answer = '';
      response.setEncoding('utf8');
      response.on('data', (c: string) => (answer += c));
      response.on('end', () => (response.statusCode === 200 ? resolve(answer) : reject(new Error(`POST ${url}: ${response.statusCode} ${answer}`))));
      response.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`POST ${url}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

// The CLI refuses these files before it asks a node anything: no node answers at this
// address, and no key is at that path, so an apply that got as far as a request would fail otherwise.
const refuse = (...args: string[]) => runShoal([...args, '--api', '127.0.0.1:1', '--key', join(root, 'no-operator.key')], { timeoutMs: 60_000 });

test('a field Shoal cannot honour fails the apply at its line, and --strict refuses what would be dropped', async () => {
  const compose = readFileSync(COMPOSE, 'utf8').replace('    expose:\n', '    volumes:\n      - data:/data\n    expose:\n');
  const line = compose.split('\n').indexOf('    volumes:') + 1;
  const file = join(root, 'docker-compose.yml');
  writeFileSync(file, compose);
  const [refused, strict] = await Promise.all([refuse('apply', '-f', file), refuse('apply', '--strict', '-f', GUESTBOOK)]);
  assert.is(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, new RegExp(`docker-compose\\.yml:${line}:\\d+: services\\.redis\\.volumes: .*no volumes`));

  assert.is(strict.code, 1, strict.stdout);
  assert.match(strict.stderr, /guestbook\.yaml:29:\d+: spec\.template\.spec\.containers\.0\.imagePullPolicy: .*\(--strict\)/);
});

test('a Kubernetes guestbook and a Compose shop apply as they are, run on three nodes, and their services answer on every node', async () => {
  const { nodes, operatorKey } = await starting;
  const [first] = nodes as [ShoalNodeProcess];
  for (const node of nodes) await waitForMembers(node.api, operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 60_000);

  // The two share no object, and each apply is a writer of its own (cli/client.ts, writeOps).
  const [guestbook, shop] = await Promise.all([shoal(first, 'apply', '-f', GUESTBOOK), shoal(first, 'apply', '-f', COMPOSE)]);
  // The next test's, which needs no node: made while this one waits on replicas.
  void converted();
  assert.is(guestbook.code, 0, guestbook.stderr);
  assert.match(guestbook.stdout, /workload\/frontend created/);
  assert.match(guestbook.stderr, /guestbook\.yaml:29:\d+: warning: spec\.template\.spec\.containers\.0\.imagePullPolicy/);
  assert.is(shop.code, 0, shop.stderr);
  assert.match(shop.stdout, /service\/web created/);
  assert.match(shop.stderr, /warning: services\.web\.depends_on/);

  // The store keeps what the frontend posts; any node's published port reaches a frontend.
  await poll('the guestbook takes an entry', () => post(`http://${publishAddress(first)}:30080/`, 'hello'), 120_000);
  for (const node of nodes) {
    const answer = await poll(`the guestbook on ${basename(node.dataDir)}`, () => get(`http://${publishAddress(node)}:30080/`), 60_000);
    assert.is(answer, 'Welcome to the guestbook, admin: hello', 'the ConfigMap, the Secret and the store all reached the frontend');
  }
  for (const node of nodes) {
    const answer = await poll(
      `the shop on ${basename(node.dataDir)}, with beats from its workers`,
      async () => {
        const a = await get(`http://${publishAddress(node)}:30081/`);
        if (/^Welcome from The Shoal Shop: [1-9]\d* beats, password of 28$/.test(a)) return a;
        throw new Error(`it answered ${a}`);
      },
      120_000,
    );
    assert.ok(answer !== undefined);
  }

  // A DaemonSet and a global Compose service run once on every node.
  const perNode = await poll(
    'one node-agent and one worker on every node',
    async () => {
      const running = await replicas.running(nodes);
      const counts = [...running.values()].map((list) => ['node-agent', 'worker'].map((w) => list.filter((r) => r.workload === `Workload/default/${w}`).length).join('/'));
      if (counts.every((c) => c === '1/1')) return counts;
      throw new Error(`node-agent/worker per node: ${counts.join(', ')}`);
    },
    90_000,
  );
  assert.equal(perNode, ['1/1', '1/1', '1/1']);
  const scaled = await shoal(first, 'scale', 'node-agent', '--replicas', '5');
  assert.is(scaled.code, 1, scaled.stdout);
  assert.match(scaled.stderr, /is global: it runs one replica on every node/);
  const listed = await shoal(first, 'get', 'workloads');
  assert.match(listed.stdout, /node-agent\s+busybox:1\.36\s+global/);
  // The guestbook's HPA: the frontend's count is the autoscaler's, within its bounds.
  assert.match(listed.stdout, /frontend\s+\S+\s+auto 3-6\s/);
  // The autoscaler's table is of its last round, every usage interval: the first may not have come yet.
  const fetchAs = signedFetch(operatorKey);
  await poll(
    'the frontend in /v1/autoscalers',
    async () => {
      const response = await fetchAs(`${first.api}/v1/autoscalers`);
      if (response.status !== 200) throw new Error(`/v1/autoscalers: ${response.status} ${await response.text()}`);
      const all = (await response.json()) as AutoscalersJson;
      const frontend = all.find((a) => a.workload === 'Workload/default/frontend');
      if (frontend !== undefined && frontend.min === 3 && frontend.max === 6 && frontend.metrics.some((m) => m.metric === 'cpu' && m.target === 80)) return frontend;
      throw new Error(`it lists ${JSON.stringify(all)}`);
    },
    30_000,
  );
  const autoscalers = await shoal(first, 'get', 'autoscalers');
  assert.is(autoscalers.code, 0, autoscalers.stderr);
  assert.match(autoscalers.stdout, /default\s+frontend\s+cpu \S+\/80%\s+3-6\s/);
});

test('what convert prints, applied again, writes nothing new', async () => {
  const node = (cluster as LocalCluster).nodes[1] as ShoalNodeProcess;
  const outs = (await converted()).map(({ file, result }) => {
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, /^apiVersion: shoal\/v1$/m);
    if (file === GUESTBOOK) assert.match(result.stdout, /^ {2}autoscale:\n {4}minReplicas: 3\n {4}maxReplicas: 6\n/m, 'the HPA, as the frontend workload');
    const out = join(root, `${basename(file)}.shoal.yaml`);
    writeFileSync(out, result.stdout);
    return out;
  });
  // Both at once: they share no object, so neither's writes could change what the other reports.
  await Promise.all(
    outs.map(async (out) => {
      const again = await shoal(node, 'apply', '-f', out);
      assert.is(again.code, 0, again.stderr);
      const lines = again.stdout.trim().split('\n');
      assert.ok(lines.length >= 5 && lines.every((l) => l.endsWith(' unchanged')), `${basename(out)}: ${again.stdout}`);
    }),
  );
});

test.run();

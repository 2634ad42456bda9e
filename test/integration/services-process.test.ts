import { get as httpGet } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signedFetch } from '../../cli/client.js';
import type { ServiceJson } from '../../node/api/services.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { poll } from '../../testnet/poll.js';

const root = mkdtempSync(join(tmpdir(), 'shoal-it-services-'));
let cluster: LocalCluster | undefined;

test.after(async () => {
  await cluster?.stop(0);
  rmSync(root, { recursive: true, force: true });
});

// Each node publishes on an address of its own, as three hosts would.
const publishAddress = (name: string): string => `127.0.0.${Number(name.split('-')[1]) + 10}`;
// Away from the ports other tests and the host use; one run's, so two runs do not meet.
const PUBLISHED = 30_000 + Math.floor(Math.random() * 20_000);

// Each replica answers with its own address: which one served a request is in its body.
const SERVER = `require('http').createServer((q, s) => s.end(process.env.SHOAL_REPLICA_IP)).listen(8080, process.env.SHOAL_REPLICA_IP)`;

const manifests = (replicas: number): string => `apiVersion: shoal/v1
kind: Workload
metadata: {name: web, labels: {app: web}}
spec:
  image: none
  command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(SERVER)}]
  replicas: ${replicas}
  resources: {cpu: 50m, memory: 32Mi}
  readinessProbe: {http: {path: /, port: 8080}, periodSeconds: 0.5}
---
apiVersion: shoal/v1
kind: Service
metadata: {name: web}
spec:
  selector: {labels: {app: web}}
  ports:
    - {name: http, port: 80, targetPort: 8080, publish: {port: ${PUBLISHED}}}
---
apiVersion: shoal/v1
kind: Service
metadata: {name: web-copy}
spec:
  selector: {workload: web}
  ports:
    - {port: 81, targetPort: 8080, publish: {port: ${PUBLISHED}}}
---
apiVersion: shoal/v1
kind: Service
metadata: {name: nothing}
spec:
  selector: {workload: absent}
  ports: [{port: 80}]
`;

const nameOf = (node: ShoalNodeProcess): string => (cluster as LocalCluster).nodes.indexOf(node) + 1 + '';

async function service(node: ShoalNodeProcess, name: string): Promise<ServiceJson> {
  const response = await signedFetch((cluster as LocalCluster).operatorKey)(`${node.api}/v1/services/default/${name}`);
  if (!response.ok) throw new Error(`GET service ${name}: ${response.status}`);
  return (await response.json()) as ServiceJson;
}

/** One request on a connection of its own, as separate clients would make (fetch would reuse one). */
const get = (url: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const request = httpGet(url, { agent: false, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url}: no answer within 10 s`)));
    request.on('error', reject);
  });

test('a published service answers on every node, a node with no replica spreads requests over both, and a clash and an empty selector are reported', async () => {
  cluster = await startLocalCluster({
    dir: join(root, 'c'),
    nodes: 3,
    args: ['--runtime', 'process'],
    nodeArgs: (name) => ['--publish-address', publishAddress(name)],
  });
  const [first] = cluster.nodes as [ShoalNodeProcess];
  for (const node of cluster.nodes) await waitForMembers(node.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 60_000);
  const file = join(root, 'web.yaml');
  writeFileSync(file, manifests(2));
  const applied = await runShoal(['apply', '-f', file, '--api', first.apiAddress, '--key', cluster.operatorKey]);
  assert.is(applied.code, 0, applied.stderr);

  // Every node must see both endpoints in rotation before the spread is measured.
  const seen = await Promise.all(
    cluster.nodes.map((node) =>
      poll(
        `both endpoints in rotation on node ${nameOf(node)}`,
        async () => {
          const web = await service(node, 'web');
          const inRotation = web.endpoints.filter((e) => e.inRotation);
          if (inRotation.length === 2 && web.ports[0]?.listening === true) return web;
          throw new Error(`it sees ${JSON.stringify(web.endpoints.map((e) => [e.slot, e.state, e.excluded]))}, listening ${web.ports[0]?.listening}`);
        },
        60_000,
      ),
    ),
  );
  const hosts = new Set(seen[0]?.endpoints.map((e) => e.node));
  const bare = cluster.nodes.find((n) => !hosts.has(n.peerId)) as ShoalNodeProcess;
  assert.ok(bare !== undefined, 'two replicas on three nodes leave one node without any');
  const bareAddress = publishAddress(`node-${nameOf(bare)}`);

  const answers: string[] = [];
  for (let i = 0; i < 60; i++) answers.push(await get(`http://${bareAddress}:${PUBLISHED}/`));
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  assert.is(counts.size, 2, `answers came from ${[...counts.keys()].join(', ')}`);
  for (const [replica, n] of counts) assert.ok(n >= 6, `${replica} served ${n} of 60`);

  for (const node of cluster.nodes) {
    const answer = await get(`http://${publishAddress(`node-${nameOf(node)}`)}:${PUBLISHED}/`);
    assert.ok(counts.has(answer), `node ${nameOf(node)} answered ${answer}`);
  }

  const copy = await service(bare, 'web-copy');
  assert.equal(copy.ports[0]?.listening, false);
  assert.match(copy.ports[0]?.error ?? '', new RegExp(`port ${PUBLISHED}/tcp is published by default/web`));
  assert.is((await service(bare, 'nothing')).problem, 'the selector matches no workload');

  const described = await runShoal(['describe', 'service', 'web', '--api', bare.apiAddress, '--key', cluster.operatorKey]);
  assert.is(described.code, 0, described.stderr);
  assert.match(described.stdout, /via …/);
  const listed = await runShoal(['get', 'services', '--api', bare.apiAddress, '--key', cluster.operatorKey]);
  assert.match(listed.stdout, /web\s+app=web\s+80:8080\/tcp \(published \d+\)\s+2\/2/);
});

test.run();

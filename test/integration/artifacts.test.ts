import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signedFetch } from '../../cli/client.js';
import { loadOrCreateOperatorKey, type OperatorKey } from '../../node/operator-key.js';
import type { NodeEvent } from '../../protocol/api/events.js';
import type { ImagesJson } from '../../protocol/api/images.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { placements, until } from './scheduling-scenario.js';

/**
 * Artifacts (issue 18, item 6): a fleet with no Docker still ships code. A directory
 * pushed to node-1 runs on node-2, which fetches it from node-1; the upload API refuses
 * what it must.
 */
const root = mkdtempSync(join(tmpdir(), 'shoal-artifacts-'));
let cluster: LocalCluster;
let n1: ShoalNodeProcess;
let n2: ShoalNodeProcess;
/** The artifact the first test pushed and ran. */
let artifact = '';

const shoal = (args: string[], node: ShoalNodeProcess, key = cluster.operatorKey) => runShoal([...args, '--api', node.apiAddress, '--key', key]);

async function events(node: ShoalNodeProcess): Promise<NodeEvent[]> {
  return (await (await signedFetch(cluster.operatorKey)(`${node.api}/v1/events`)).json()) as NodeEvent[];
}

/** A signed JSON POST to `node` as `key`; the status and the body. */
async function post(node: ShoalNodeProcess, path: string, body: unknown, key: OperatorKey | string = cluster.operatorKey) {
  const response = await signedFetch(key)(`${node.api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function operator(name: string, flags: string[]): Promise<OperatorKey> {
  const key = loadOrCreateOperatorKey(join(root, `${name}.key`));
  const added = await shoal(['operator', 'add', key.publicKey, ...flags], n1);
  assert.is(added.code, 0, added.stderr);
  return key;
}

/** What node's artifact store holds: `<hex>` and `<hex>.tar` for each artifact. */
const stored = (node: ShoalNodeProcess): string[] => {
  try {
    return readdirSync(join(node.dataDir, 'content', 'artifacts')).sort();
  } catch {
    return [];
  }
};

test.before(async () => {
  cluster = await startLocalCluster({
    dir: join(root, 'cluster'),
    nodes: 2,
    args: ['--runtime', 'process'],
    nodeArgs: (name) => ['--label', `site=${name}`],
  });
  // Nodes join at once, so the cluster lists them in the order they came up: find each by its directory.
  const named = (name: string): ShoalNodeProcess => cluster.nodes.find((n) => n.dataDir.endsWith(name)) as ShoalNodeProcess;
  [n1, n2] = [named('node-1'), named('node-2')];
  await waitForMembers(n1.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 2, 30_000);
});

test.after(async () => {
  await cluster?.stop();
  if (cluster !== undefined) await new LocalReplicas('process').removeAll(cluster.nodes);
  rmSync(root, { recursive: true, force: true });
});

test('a directory pushed to node-1 runs on node-2 (a spec with an artifact and no image): fetched from node-1, run in a copy, its output in the logs', async () => {
  const app = join(root, 'app');
  mkdirSync(join(app, 'lib'), { recursive: true });
  writeFileSync(join(app, 'run.sh'), '#!/bin/sh\necho "artifact-marker-5d1e $(cat lib/word) $SHOAL_ARTIFACT"\nexec sleep 300\n');
  chmodSync(join(app, 'run.sh'), 0o755);
  writeFileSync(join(app, 'lib', 'word'), 'shipped');
  const pushed = await shoal(['artifact', 'push', app], n1);
  assert.is(pushed.code, 0, pushed.stderr);
  const id = /artifact: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
  assert.ok(id, `the push prints the line to paste: ${pushed.stdout}`);
  assert.match(pushed.stdout, `artifact ${id} (`);
  assert.equal(stored(n1), [id.slice(7), `${id.slice(7)}.tar`]);
  assert.equal(stored(n2), [], 'node-2 has nothing yet');

  const manifest = join(root, 'app.yaml');
  writeFileSync(
    manifest,
    `apiVersion: shoal/v1
kind: Workload
metadata: {name: app}
spec:
  artifact: ${id}
  command: [./run.sh]
  resources: {cpu: 50m, memory: 8Mi}
  placement:
    constraints: [{key: site, operator: "==", value: node-2}]
`,
  );
  const applied = await shoal(['apply', '-f', manifest], n1);
  assert.is(applied.code, 0, applied.stderr);
  await until('app runs on node-2', async () => (await placements(n1)).find((p) => p.name === 'app' && p.node === n2.peerId && p.state === 'running'), 120_000);

  const fetched = (await events(n2)).filter((e) => e.kind === 'content-fetched' && e.object === id);
  assert.is(fetched.length, 1, JSON.stringify(fetched));
  assert.ok(fetched[0]?.message.includes(n1.peerId), `fetched from node-1: ${JSON.stringify(fetched)}`);
  assert.ok(
    (await events(n2)).some((e) => e.kind === 'content-pending' && e.object === 'Workload/default/app'),
    'the start waited for the artifact, and said so, rather than fail',
  );
  assert.not.ok(
    (await events(n2)).some((e) => e.kind === 'start-failed' && e.object === 'Workload/default/app'),
    'no start failed',
  );
  assert.equal(stored(n2), [id.slice(7), `${id.slice(7)}.tar`]);
  const logs = await until(
    'the marker in the logs',
    async () => {
      const run = await shoal(['logs', 'app'], n1);
      return run.stdout.includes('artifact-marker-5d1e') ? run.stdout : undefined;
    },
    30_000,
  );
  assert.match(logs, `artifact-marker-5d1e shipped ${id}`);
  artifact = id;
});

test('get images lists the artifact beside the images: its kind, the workload that names it, and the nodes that hold it', async () => {
  const hex = artifact.slice(7, 19);
  const row = await until(
    'both nodes listed as holders',
    async () => {
      const listed = await shoal(['get', 'images'], n1);
      assert.is(listed.code, 0, listed.stderr);
      const line = listed.stdout.split('\n').find((l) => l.includes(hex));
      return line?.includes('2: ') ? { header: listed.stdout.split('\n')[0] ?? '', line } : undefined;
    },
    30_000,
  );
  assert.match(row.header, /^KIND\s+ID\s+REFERENCES\s+SIZE\s+HELD BY\s+SERVED HERE/);
  assert.match(row.line, new RegExp(`^artifact\\s+${hex}\\s+Workload/default/app\\s+`));
  const json = JSON.parse((await shoal(['get', 'images', '-o', 'json'], n1)).stdout) as ImagesJson;
  const listed = json.artifacts?.find((a) => a.id === artifact);
  assert.equal([listed?.workloads, listed?.holders.slice().sort()], [['Workload/default/app'], [n1.peerId, n2.peerId].sort()]);
  assert.ok((listed?.sizeBytes ?? 0) > 0, 'node-1 holds it, and says its size');
  const workloads = await shoal(['get', 'workloads'], n1);
  assert.match(workloads.stdout, new RegExp(`app\\s+artifact sha256:${hex}\\s`), 'a workload with no image shows its artifact');
  // The store's clean-up is counted, from its first scrape on (nothing named was removed).
  assert.match(await (await fetch(`${n1.api}/metrics`)).text(), /^shoal_artifacts_removed_total 0$/m);
});

test('an upload whose bytes are not its id is refused with 400, and nothing is stored', async () => {
  const before = stored(n1);
  const begun = await post(n1, '/v1/uploads', {});
  assert.is(begun.status, 200, JSON.stringify(begun.body));
  const upload = begun.body.upload as string;
  const bytes = Buffer.alloc(4096, 3);
  assert.equal(await post(n1, `/v1/uploads/${upload}/chunks`, { offset: 0, data: bytes.toString('base64') }), { status: 200, body: { sizeBytes: 4096 } });
  const wrong = await post(n1, `/v1/uploads/${upload}/finish`, { kind: 'artifact', id: `sha256:${'e'.repeat(64)}` });
  assert.equal([wrong.status, wrong.body.error], [400, 'invalid']);
  assert.equal(stored(n1), before);
  assert.equal(readdirSync(join(n1.dataDir, 'content', 'uploads')), [], 'the upload is gone');
});

test('a chunk at the wrong offset gets 409 with the size the node holds', async () => {
  const upload = (await post(n1, '/v1/uploads', {})).body.upload as string;
  await post(n1, `/v1/uploads/${upload}/chunks`, { offset: 0, data: Buffer.alloc(300, 1).toString('base64') });
  const conflict = await post(n1, `/v1/uploads/${upload}/chunks`, { offset: 0, data: Buffer.alloc(300, 1).toString('base64') });
  assert.equal([conflict.status, conflict.body.error, conflict.body.sizeBytes], [409, 'wrong-offset', 300]);
});

test("a viewer cannot upload (403), and another operator cannot add to one's upload", async () => {
  const viewer = await operator('viewer', ['--role', 'viewer']);
  const refused = await post(n1, '/v1/uploads', {}, viewer);
  assert.equal([refused.status, refused.body.error], [403, 'forbidden']);
  const app = join(root, 'app');
  const push = await shoal(['artifact', 'push', app], n1, viewer.path);
  assert.is(push.code, 1);
  assert.match(push.stderr, /needs deploy/);

  const deployer = await operator('deployer', ['--role', 'deployer', '--namespace', 'shop']);
  const upload = (await post(n1, '/v1/uploads', {})).body.upload as string;
  const theirs = await post(n1, `/v1/uploads/${upload}/chunks`, { offset: 0, data: 'AAAA' }, deployer);
  assert.equal([theirs.status, theirs.body.error], [403, 'forbidden']);
});

test.run();

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { signedFetch } from '../../cli/client.js';

const root = mkdtempSync(join(tmpdir(), 'shoal-state-'));
let cluster: LocalCluster;

test.before(async () => {
  // The process runtime: the integration tier leaves the host's Docker engine alone (with `auto` a node takes it, and made its
  // replicas network there, which outlived the test).
  cluster = await startLocalCluster({ dir: join(root, 'c'), nodes: 5, args: ['--enable-fault-injection', '--runtime', 'process'] });
  await Promise.all(cluster.nodes.map((n) => waitForMembers(n.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 5, 20_000)));
});

test.after(async () => {
  await cluster?.stop(0);
  rmSync(root, { recursive: true, force: true });
});

function manifest(name: string, fields: { image?: string; replicas?: number } = {}): string {
  const file = join(root, `${name}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `apiVersion: shoal/v1\nkind: Workload\nmetadata: {name: ${name}}\nspec: {image: ${fields.image ?? 'busybox'}, replicas: ${fields.replicas ?? 1}}\n`);
  return file;
}

async function apply(node: ShoalNodeProcess, file: string): Promise<void> {
  const result = await runShoal(['apply', '-f', file, '--api', node.apiAddress, '--key', cluster.operatorKey]);
  assert.is(result.code, 0, result.stderr);
}

async function workload(node: ShoalNodeProcess, name: string): Promise<{ spec: { image: string; replicas: number } } | undefined> {
  const response = await signedFetch(cluster.operatorKey)(`${node.api}/v1/objects/Workload/default/${name}`);
  if (response.status === 404) return undefined;
  const object = (await response.json()) as { fields: Record<string, unknown> };
  return { spec: { image: object.fields['spec.image'] as string, replicas: object.fields['spec.replicas'] as number } };
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.unreachable(`${what} within ${timeoutMs} ms`);
}

test('a workload applied on one node can be read on all five', async () => {
  await apply(cluster.nodes[0]!, manifest('web', { replicas: 2 }));
  for (const node of cluster.nodes) {
    await eventually(`web on ${node.peerId}`, async () => (await workload(node, 'web'))?.spec.replicas === 2, 5_000);
  }
  const read = await runShoal(['get', 'workload', 'web', '-o', 'json', '--api', cluster.nodes[4]!.apiAddress, '--key', cluster.operatorKey]);
  assert.is(read.code, 0, read.stderr);
  assert.is((JSON.parse(read.stdout) as { spec: { image: string } }).spec.image, 'busybox');
  // No secret yet: still the secrets' columns, not a workload's.
  const secrets = await runShoal(['get', 'secrets', '--api', cluster.nodes[4]!.apiAddress, '--key', cluster.operatorKey]);
  assert.is(secrets.code, 0, secrets.stderr);
  assert.match(secrets.stdout, /^NAMESPACE\s+NAME\s+KEYS\s+UPDATED/);
  const unknown = await runShoal(['get', 'gadgets', '--api', cluster.nodes[4]!.apiAddress, '--key', cluster.operatorKey]);
  assert.match(unknown.stderr, /unknown resource 'gadgets': expected workloads, services, placements, jobs, cronjobs, autoscalers, images or secrets/);
});

test('writes on both sides of a partition are all on every node after the heal', async () => {
  const left = cluster.nodes.slice(0, 3);
  const right = cluster.nodes.slice(3);
  const split = async (side: ShoalNodeProcess[], other: ShoalNodeProcess[]): Promise<void> => {
    for (const node of side) {
      const response = await signedFetch(cluster.operatorKey)(`${node.api}/v1/faults/partition`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ peers: other.map((o) => o.peerId) }),
      });
      assert.is(response.status, 200);
    }
  };
  await split(left, right);
  await split(right, left);

  await apply(left[0]!, manifest('web', { replicas: 7 }));
  await apply(right[0]!, manifest('web', { image: 'busybox:2', replicas: 2 }));
  await apply(left[1]!, manifest('left-only'));
  await apply(right[1]!, manifest('right-only'));
  await eventually('left-only on the left side', async () => (await workload(left[2]!, 'left-only')) !== undefined, 5_000);
  await new Promise((r) => setTimeout(r, 500));
  assert.is(await workload(right[0]!, 'left-only'), undefined, 'the partition holds');

  for (const node of cluster.nodes) await signedFetch(cluster.operatorKey)(`${node.api}/v1/faults/partition`, { method: 'DELETE' });
  for (const node of cluster.nodes) {
    await eventually(
      `every write on ${node.peerId}`,
      async () => {
        const web = await workload(node, 'web');
        return (
          web?.spec.replicas === 7 && web.spec.image === 'busybox:2' && (await workload(node, 'left-only')) !== undefined && (await workload(node, 'right-only')) !== undefined
        );
      },
      // The two sides first find each other alive again (each held the other dead, about
      // 1.5 s idle), then anti-entropy merges what each side wrote (3-5 s idle since a
      // frame's deltas share one disk sync; 7-13 s before). Past 30 s once at a load of 16.
      120_000,
    );
  }
});

test('bad YAML and schema errors name the file, line and field, and write nothing', async () => {
  const file = join(root, 'bad.yaml');
  writeFileSync(file, 'apiVersion: shoal/v1\nkind: Workload\nmetadata: {name: fine}\nspec:\n  image: busybox\n  replicas: many\n');
  const result = await runShoal(['apply', '-f', file, '--api', cluster.nodes[0]!.apiAddress, '--key', cluster.operatorKey]);
  assert.is(result.code, 1);
  assert.match(result.stderr, `${file}:6:13: spec.replicas:`);
  assert.is(await workload(cluster.nodes[0]!, 'fine'), undefined);
});

test('an unknown operator key is refused with a clear message', async () => {
  const stranger = join(root, 'stranger.key');
  assert.is((await runShoal(['operator', 'key', '--new', '--key', stranger])).code, 0);
  const result = await runShoal(['apply', '-f', manifest('sneaky'), '--api', cluster.nodes[0]!.apiAddress, '--key', stranger]);
  assert.is(result.code, 1);
  assert.match(result.stderr, 'the cluster does not know operator key');
  assert.is(await workload(cluster.nodes[0]!, 'sneaky'), undefined);
});

test('an operator added through the document can write from any node; once removed, it cannot', async () => {
  const second = join(root, 'second.key');
  const key = (await runShoal(['operator', 'key', '--new', '--key', second])).stdout.trim();
  assert.is((await runShoal(['operator', 'add', key, '--api', cluster.nodes[0]!.apiAddress, '--key', cluster.operatorKey])).code, 0);
  await eventually(
    'the new operator is known on node 5',
    async () => ((await (await signedFetch(cluster.operatorKey)(`${cluster.nodes[4]!.api}/v1/operators`)).json()) as { publicKey: string }[]).some((o) => o.publicKey === key),
    5_000,
  );
  await apply(cluster.nodes[4]!, manifest('by-second'));
  assert.is((await runShoal(['apply', '-f', manifest('by-second', { replicas: 3 }), '--api', cluster.nodes[4]!.apiAddress, '--key', second])).code, 0);
  assert.is((await runShoal(['operator', 'remove', key, '--api', cluster.nodes[1]!.apiAddress, '--key', cluster.operatorKey])).code, 0);
  await eventually(
    'the removal reaches node 4',
    async () => !((await (await signedFetch(cluster.operatorKey)(`${cluster.nodes[3]!.api}/v1/operators`)).json()) as { publicKey: string }[]).some((o) => o.publicKey === key),
    5_000,
  );
  const refused = await runShoal(['apply', '-f', manifest('by-second', { replicas: 9 }), '--api', cluster.nodes[3]!.apiAddress, '--key', second]);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, "was removed from the cluster's operators");
  assert.is((await workload(cluster.nodes[3]!, 'by-second'))?.spec.replicas, 3);
});

test.run();

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeJoinToken } from '../../node/join-token.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { runShoal, startShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';

const root = mkdtempSync(join(tmpdir(), 'shoal-it-'));
let cluster: LocalCluster | undefined;

test.after(async () => {
  await cluster?.stop(0);
  rmSync(root, { recursive: true, force: true });
});

const stateOf = (members: { id: string; state: string }[], id: string): string | undefined => members.find((m) => m.id === id)?.state;

test('3 shoal processes on loopback join through one seed', async () => {
  // The process runtime: the integration tier leaves the host's Docker engine alone (with `auto` a node takes it, and makes its replicas network there).
  cluster = await startLocalCluster({ dir: join(root, 'c1'), nodes: 3, args: ['--runtime', 'process'] });
  for (const node of cluster.nodes) {
    await waitForMembers(node.api, cluster!.operatorKey, (m) => m.length === 3 && m.every((x) => x.state === 'alive'), 15_000);
  }
});

test('kill -9 of one node is seen as dead by the others', async () => {
  const [a, b, victim] = cluster!.nodes as [ShoalNodeProcess, ShoalNodeProcess, ShoalNodeProcess];
  victim.child.kill('SIGKILL');
  await victim.exited;
  for (const node of [a, b]) {
    await waitForMembers(node.api, cluster!.operatorKey, (m) => stateOf(m, victim.peerId) === 'dead', 15_000);
  }
});

test('SIGTERM is a graceful leave: the others record the node as left', async () => {
  const leaver = await cluster!.add('node-4');
  const first = cluster!.nodes[0]!;
  await waitForMembers(first.api, cluster!.operatorKey, (m) => stateOf(m, leaver.peerId) === 'alive', 15_000);
  await waitForMembers(leaver.api, cluster!.operatorKey, (m) => stateOf(m, first.peerId) === 'alive', 15_000);
  leaver.child.kill('SIGTERM');
  assert.is(await leaver.exited, 0);
  await waitForMembers(first.api, cluster!.operatorKey, (m) => stateOf(m, leaver.peerId) === 'left', 5_000);
});

test('shoal nodes -o json prints every member with the documented fields', async () => {
  const answering = cluster!.nodes[0]!;
  const result = await runShoal(['nodes', '--api', answering.apiAddress, '-o', 'json', '--key', cluster!.operatorKey]);
  assert.is(result.code, 0, result.stderr);
  const members = JSON.parse(result.stdout) as Record<string, unknown>[];
  assert.ok(members.length >= 3);
  for (const m of members) {
    assert.ok(m.state !== 'alive' || m.admitted === true, `alive member ${String(m.id)} admitted`);
    assert.equal(Object.keys(m).sort(), ['addrs', 'admitted', 'capacity', 'id', 'incarnation', 'labels', 'lastChange', 'reach', 'state', 'version']);
    if (m.id === answering.peerId) assert.is(m.reach, 'self', 'the answering node is itself');
  }
});

test('a node with the wrong cluster key cannot join, and says why', async () => {
  const other = join(root, 'other');
  assert.is((await runShoal(['init', '--data-dir', other])).code, 0);
  const seed = cluster!.nodes[0]!.listen[0]!;
  const outsider = await startShoal([
    '--data-dir',
    other,
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
    '--api',
    '127.0.0.1:0',
    '--seed',
    seed,
    '--join-timeout',
    '4',
    '--runtime',
    'process',
  ]);
  const code = await outsider.exited;
  assert.is(code, 1);
  assert.match(outsider.output(), 'wrong cluster key, or the seed is unreachable');
  const members = await waitForMembers(cluster!.nodes[0]!.api, cluster!.operatorKey, () => true, 1_000);
  assert.not.ok(members.some((m) => m.id === outsider.peerId));
});

test('bad input gets one clear line and a non-zero exit', async () => {
  const cases: [string[], RegExp][] = [
    [['start', '--data-dir', join(root, 'c1', 'node-2'), '--seed', 'not-a-multiaddr'], /invalid --seed 'not-a-multiaddr'/],
    [['start', '--data-dir', join(root, 'c1', 'node-1'), '--api', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0'], /in use by another shoal process/],
    [['start', '--data-dir', join(root, 'fresh')], /no cluster in/],
    [['start', '--data-dir', join(root, 'c1', 'node-2'), '--join', 'SHOAL1-garbage'], /invalid --join token/],
    [['nodes', '--api', '127.0.0.1:1', '--key', cluster!.operatorKey], /no Shoal node answers at/],
  ];
  for (const [args, expected] of cases) {
    const result = await runShoal(args);
    assert.is(result.code, 1, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, expected);
    assert.is(result.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${result.stderr}`);
  }
});

test('a port in use is named', async () => {
  const busy = cluster!.nodes[0]!.listen[0]!.replace(/\/p2p\/.*$/, '');
  const dir = join(root, 'busy');
  assert.is((await runShoal(['init', '--data-dir', dir])).code, 0);
  const result = await runShoal(['start', '--data-dir', dir, '--listen', busy, '--api', '127.0.0.1:0', '--runtime', 'process']);
  assert.is(result.code, 1);
  assert.match(result.stderr, `address ${busy} is already in use`);
});

test('a token made on a node started with --advertise names that address, and a new node joins through it', async () => {
  const port = await freePort();
  const dir = join(root, 'advertised');
  const key = join(dir, 'operator.key');
  assert.is((await runShoal(['init', '--data-dir', join(dir, 'a'), '--key', key])).code, 0);
  // Listening everywhere, reached at 127.0.0.2: as a node behind a port forward is reached at the forward.
  const common = ['--api', '127.0.0.1:0', '--swim-preset', 'local', '--runtime', 'process'];
  const a = await startShoal(['--data-dir', join(dir, 'a'), '--listen', `/ip4/0.0.0.0/tcp/${port}`, '--advertise', `/ip4/127.0.0.2/tcp/${port}`, ...common]);
  const started: ShoalNodeProcess[] = [a];
  try {
    const token = (await runShoal(['token', '--data-dir', join(dir, 'a')])).stdout.trim();
    assert.equal(
      decodeJoinToken(token).seeds.map((s) => s.replace(/\/p2p\/.*$/, '')),
      [`/ip4/127.0.0.2/tcp/${port}`],
    );
    const b = await startShoal(['--data-dir', join(dir, 'b'), '--listen', '/ip4/127.0.0.1/tcp/0', '--join', token, ...common]);
    started.push(b);
    await waitForMembers(b.api, key, (m) => m.length === 2 && m.every((x) => x.state === 'alive'), 20_000);
  } finally {
    for (const node of started) node.child.kill('SIGKILL');
    await Promise.all(started.map((n) => n.exited));
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

test.run();

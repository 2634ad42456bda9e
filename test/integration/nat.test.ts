import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NodeJson } from '../../protocol/api/nodes.js';
import { canMakeNamespaces } from '../../testnet/netns/ip.js';
import { reapLeftovers } from '../../testnet/netns/namespaces.js';
import { makeNatTestnet, type NatTestnet } from '../../testnet/netns/nat-testnet.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, startShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { poll } from '../../testnet/poll.js';

/**
 * Nodes behind real NAT: one public node, and two nodes each behind a router namespace
 * of its own that masquerades their connections (testnet/netns/). Nobody can dial a
 * NATed node; it dials out, reserves a slot on a relay, and is reached through it, until
 * a hole punch gives the two NATed nodes a direct connection.
 * Deadlines are generous and nothing is timed: this runs on busy 2-core machines.
 */
const enabled = process.getuid?.() === 0 && canMakeNamespaces();
const root = mkdtempSync(join(tmpdir(), 'shoal-nat-'));
const key = join(root, 'operator.key');
const P2P_PORT = 7370;
const API = `127.0.0.1:7371`;
const common = ['--runtime', 'process', '--swim-preset', 'local', '--api', API];
let net: NatTestnet | undefined;
const nodes = new Map<'public' | 'a' | 'b', ShoalNodeProcess>();
const everyNode: ShoalNodeProcess[] = [];

interface Where {
  namespace: string;
  dataDir: string;
}
const where = new Map<'public' | 'a' | 'b', Where>();

/** A CLI command run against a node's API from inside that node's namespace. */
const cli = (at: 'public' | 'a' | 'b', args: string[]) => runShoal([...args, '--api', API, '--key', key], { netns: where.get(at)?.namespace ?? '' });

async function members(at: 'public' | 'a' | 'b'): Promise<NodeJson[] | undefined> {
  const result = await cli(at, ['nodes', '-o', 'json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as NodeJson[]) : undefined;
}

/** Measured, never asserted: how long a step took, for the report. */
const since = (startMs: number): string => `${((Date.now() - startMs) / 1000).toFixed(1)} s`;

const stateOf = (list: NodeJson[], id: string): string | undefined => list.find((m) => m.id === id)?.state;

/** Polls until every node in `at` sees every node in `of` in `state`. */
async function everySees(at: ('public' | 'a' | 'b')[], of: ShoalNodeProcess[], state: string, timeoutMs: number): Promise<void> {
  for (const observer of at) {
    await poll(
      `${observer} sees ${of.map((n) => n.peerId.slice(-6)).join(', ')} ${state}`,
      async () => {
        const list = await members(observer);
        return list !== undefined && of.every((n) => stateOf(list, n.peerId) === state) ? true : undefined;
      },
      timeoutMs,
    );
  }
}

async function startNatNode(site: 'a' | 'b', join: string[]): Promise<ShoalNodeProcess> {
  const place = where.get(site) as Where;
  const address = site === 'a' ? net?.sites[0].hostAddress : net?.sites[1].hostAddress;
  const node = await startShoal(['--data-dir', place.dataDir, '--listen', `/ip4/${address}/tcp/${P2P_PORT}`, '--label', `site=${site}`, ...join, ...common], {}, place.namespace);
  nodes.set(site, node);
  everyNode.push(node);
  return node;
}

/** Everything the run made, in a finally of its own: nodes, their replicas, then the namespaces with their links and rules. */
async function teardown(): Promise<void> {
  for (const node of everyNode) node.child.kill('SIGKILL');
  await Promise.all(everyNode.map((n) => n.exited));
  await new LocalReplicas('process').removeAll(everyNode);
  net?.remove();
  net = undefined;
}

test.before(async () => {
  if (!enabled) return;
  const reaped = reapLeftovers();
  if (reaped.length > 0) console.log(`removed the namespaces of crashed runs: ${reaped.join(', ')}`);
  try {
    await setUp();
  } catch (e) {
    await teardown();
    throw e;
  }
});

async function setUp(): Promise<void> {
  net = makeNatTestnet();
  where.set('public', { namespace: net.public.namespace, dataDir: join(root, 'public') });
  where.set('a', { namespace: net.sites[0].host, dataDir: join(root, 'a') });
  where.set('b', { namespace: net.sites[1].host, dataDir: join(root, 'b') });
  const init = await runShoal(['init', '--data-dir', join(root, 'public'), '--key', key]);
  assert.is(init.code, 0, init.stderr);
  const publicAddr = `/ip4/${net.public.address}/tcp/${P2P_PORT}`;
  const pub = await startShoal(['--data-dir', join(root, 'public'), '--listen', publicAddr, '--advertise', publicAddr, ...common], {}, net.public.namespace);
  nodes.set('public', pub);
  everyNode.push(pub);
  const token = (await runShoal(['token', '--data-dir', join(root, 'public'), '--port', String(P2P_PORT)])).stdout.trim();
  await startNatNode('a', ['--join', token]);
  await startNatNode('b', ['--join', token]);
}

test.after(async () => {
  try {
    await teardown();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const it = enabled ? test : test.skip;
const node = (name: 'public' | 'a' | 'b'): ShoalNodeProcess => nodes.get(name) as ShoalNodeProcess;

it('a public node and two nodes behind two NATs become members, alive at every node', async () => {
  const startedAt = Date.now();
  await everySees(['public', 'a', 'b'], [node('public'), node('a'), node('b')], 'alive', 120_000);
  console.log(`  all three alive at every node ${since(startedAt)} after the NATed nodes started`);
  const status = await cli('public', ['status', '-o', 'json']);
  console.log(`  relay at the public node: ${JSON.stringify((JSON.parse(status.stdout || '{}') as { relay?: unknown }).relay)}`);
  for (const at of ['public', 'a', 'b'] as const) {
    const table = await cli(at, ['nodes']);
    console.log(`  shoal nodes at ${at}:\n${table.stdout}`);
  }
});

it('the two NATed nodes punch a hole through both NATs: each reaches the other directly, no longer through the relay', async () => {
  const startedAt = Date.now();
  for (const [at, other] of [
    ['a', 'b'],
    ['b', 'a'],
  ] as const) {
    await poll(
      `${at} reaching ${other} hole-punched`,
      async () => ((await members(at))?.find((m) => m.id === node(other).peerId)?.reach === 'hole-punched' ? true : undefined),
      120_000,
    );
  }
  console.log(`  a and b hole-punched ${since(startedAt)} after all three were alive`);
  const punches = await Promise.all(
    (['a', 'b'] as const).map(async (at) => (JSON.parse((await cli(at, ['status', '-o', 'json'])).stdout || '{}') as { holePunch?: { succeeded: number } }).holePunch),
  );
  console.log(`  hole punches at a and b: ${JSON.stringify(punches)}`);
  assert.ok(
    punches.every((p) => p !== undefined && p.succeeded >= 1),
    'each end counts the punch it dialled in',
  );
});

it('a workload submitted on the public node runs behind a NAT, and shoal logs reaches it through the public node', async () => {
  const file = join(root, 'ticker.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: shoal/v1',
      'kind: Workload',
      'metadata: {name: ticker}',
      'spec:',
      '  image: ignored:1',
      '  command: [sh, -c, "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.5; done"]',
      '  placement: {constraints: [{key: site, operator: "==", value: a}]}',
      '',
    ].join('\n'),
  );
  const appliedAt = Date.now();
  const applied = await cli('public', ['apply', '-f', file]);
  assert.is(applied.code, 0, applied.stderr);
  await poll(
    'the ticker running on the node behind NAT a',
    async () => {
      const placements = await cli('public', ['get', 'placements', '-o', 'json']);
      if (placements.code !== 0) return undefined;
      return (JSON.parse(placements.stdout) as { state: string; node: string }[]).some((p) => p.state === 'running' && p.node === node('a').peerId) ? true : undefined;
    },
    120_000,
  );
  console.log(`  running behind NAT a ${since(appliedAt)} after the apply`);
  const logsAt = Date.now();
  await poll(
    'shoal logs at the public node showing the ticker',
    async () => {
      const logs = await cli('public', ['logs', 'ticker']);
      return logs.code === 0 && /tick \d+/.test(logs.stdout) ? true : undefined;
    },
    60_000,
  );
  console.log(`  its output through the public node ${since(logsAt)} later`);
});

it('a NATed node killed with -9 is dead at the others, and restarted, it rejoins', async () => {
  const killed = node('a');
  killed.child.kill('SIGKILL');
  await killed.exited;
  const killedAt = Date.now();
  await everySees(['public', 'b'], [killed], 'dead', 120_000);
  console.log(`  dead at the public node and at b ${since(killedAt)} after kill -9`);
  const seed = `${node('public').listen[0]}`;
  const again = await startNatNode('a', ['--seed', seed]);
  assert.is(again.peerId, killed.peerId);
  const restartedAt = Date.now();
  await everySees(['public', 'b', 'a'], [node('public'), again, node('b')], 'alive', 120_000);
  console.log(`  alive again at every node ${since(restartedAt)} after the restart`);
});

test.run();

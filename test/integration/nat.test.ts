import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canMakeNamespaces } from '../../testnet/netns/ip.js';
import { reapLeftovers } from '../../testnet/netns/namespaces.js';
import { NatCluster } from '../../testnet/netns/nat-cluster.js';
import { poll } from '../../testnet/poll.js';

/**
 * Nodes behind real NAT: one public node, and two nodes each behind a router namespace
 * of its own that masquerades their connections (testnet/netns/). Nobody can dial a
 * NATed node; it dials out, reserves a slot on a relay, and is reached through it, until
 * a hole punch gives the two NATed nodes a direct connection (these NATs drop unasked
 * connections; nat-refused.test.ts has NATs that refuse them).
 * Deadlines are generous and nothing is timed: this runs on busy 2-core machines.
 */
const enabled = process.getuid?.() === 0 && canMakeNamespaces();
let cluster: NatCluster | undefined;

/** Measured, never asserted: how long a step took, for the report. */
const since = (startMs: number): string => `${((Date.now() - startMs) / 1000).toFixed(1)} s`;

test.before(async () => {
  if (!enabled) return;
  const reaped = reapLeftovers();
  if (reaped.length > 0) console.log(`removed the namespaces of crashed runs: ${reaped.join(', ')}`);
  cluster = await NatCluster.start('drop');
});

test.after(async () => {
  await cluster?.stop();
});

const it = enabled ? test : test.skip;
const nat = (): NatCluster => cluster as NatCluster;
const node = (place: 'public' | 'a' | 'b') => nat().node(place);
const cli = (at: 'public' | 'a' | 'b', args: string[]) => nat().cli(at, args);

it('a public node and two nodes behind two NATs become members, alive at every node', async () => {
  const startedAt = Date.now();
  await nat().everySees(['public', 'a', 'b'], [node('public'), node('a'), node('b')], 'alive', 120_000);
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
    await poll(`${at} reaching ${other} hole-punched`, async () => ((await nat().reach(at, other)) === 'hole-punched' ? true : undefined), 120_000);
  }
  console.log(`  a and b hole-punched ${since(startedAt)} after all three were alive`);
  const punches = await Promise.all((['a', 'b'] as const).map((at) => nat().holePunches(at)));
  console.log(`  hole punches at a and b: ${JSON.stringify(punches)}`);
  assert.ok(
    punches.every((p) => p !== undefined && p.succeeded >= 1),
    'each end counts the punch it dialled in',
  );
});

it('a workload submitted on the public node runs behind a NAT, and shoal logs reaches it through the public node', async () => {
  const file = nat().writeFile(
    'ticker.yaml',
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

it('an artifact pushed to one NATed node runs on the other: the provider record and the bytes cross both NATs', async () => {
  const ms = await nat().runArtifact('fetcher', 256 * 1024, 'a', 'b');
  console.log(`  running behind NAT b on the artifact pushed behind NAT a ${(ms / 1000).toFixed(1)} s after the apply`);
});

it('a NATed node killed with -9 is dead at the others, and restarted, it rejoins', async () => {
  const killed = node('a');
  killed.child.kill('SIGKILL');
  await killed.exited;
  const killedAt = Date.now();
  await nat().everySees(['public', 'b'], [killed], 'dead', 120_000);
  console.log(`  dead at the public node and at b ${since(killedAt)} after kill -9`);
  const seed = `${node('public').listen[0]}`;
  const again = await nat().startNatNode('a', ['--seed', seed]);
  assert.is(again.peerId, killed.peerId);
  const restartedAt = Date.now();
  await nat().everySees(['public', 'b', 'a'], [node('public'), again, node('b')], 'alive', 120_000);
  console.log(`  alive again at every node ${since(restartedAt)} after the restart`);
});

test.run();

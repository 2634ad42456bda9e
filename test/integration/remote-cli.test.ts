import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, SHOAL_BIN, startShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { poll } from '../../testnet/poll.js';

/**
 * The CLI on another machine: two nodes in one network namespace, each on an address of
 * its own with its API over TLS, and the CLI in a second namespace that reaches them only
 * across a veth pair, through a context.
 */
const root = mkdtempSync(join(tmpdir(), 'shoal-remote-cli-'));
const tag = randomBytes(2).toString('hex');
const NODES_NS = `shoal-rn-${tag}`;
const CLI_NS = `shoal-rc-${tag}`;
const subnet = `10.231.${1 + (Number.parseInt(tag, 16) % 250)}`;
const [NODE_1, CLI, NODE_2, NOBODY] = [1, 2, 3, 4].map((i) => `${subnet}.${i}`) as [string, string, string, string];
const key = join(root, 'operator.key');
const cliEnv = { SHOAL_CONFIG: join(root, 'config') };
const started: ShoalNodeProcess[] = [];
const isRoot = process.getuid?.() === 0;

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const inCli = (args: string[]) => runShoal(args, { netns: CLI_NS, env: cliEnv });

test.before(async () => {
  if (!isRoot) return;
  ip('netns', 'add', NODES_NS);
  ip('netns', 'add', CLI_NS);
  ip('link', 'add', `shr-n-${tag}`, 'type', 'veth', 'peer', 'name', `shr-c-${tag}`);
  ip('link', 'set', `shr-n-${tag}`, 'netns', NODES_NS);
  ip('link', 'set', `shr-c-${tag}`, 'netns', CLI_NS);
  for (const address of [NODE_1, NODE_2, NOBODY]) ip('-n', NODES_NS, 'addr', 'add', `${address}/24`, 'dev', `shr-n-${tag}`);
  ip('-n', CLI_NS, 'addr', 'add', `${CLI}/24`, 'dev', `shr-c-${tag}`);
  for (const [ns, dev] of [
    [NODES_NS, `shr-n-${tag}`],
    [CLI_NS, `shr-c-${tag}`],
  ] as const) {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', dev, 'up');
  }
  const init = await runShoal(['init', '--data-dir', join(root, 'node-1'), '--key', key]);
  assert.is(init.code, 0, init.stderr);
  const common = ['--runtime', 'process', '--swim-preset', 'local'];
  started.push(await startShoal(['--data-dir', join(root, 'node-1'), '--listen', `/ip4/${NODE_1}/tcp/7370`, '--api', `${NODE_1}:7371`, ...common], {}, NODES_NS));
  const token = (await runShoal(['token', '--data-dir', join(root, 'node-1')])).stdout.trim();
  started.push(await startShoal(['--data-dir', join(root, 'node-2'), '--listen', `/ip4/${NODE_2}/tcp/7370`, '--api', `${NODE_2}:7371`, '--join', token, ...common], {}, NODES_NS));
  const added = await inCli(['context', 'add', 'lab', '--token', token, '--key', key]);
  assert.is(added.code, 0, added.stderr);
  const second = await inCli(['context', 'add', 'lab', '--api', `${NODE_2}:7371`, '--fingerprint', started[1]?.apiFingerprint ?? '']);
  assert.is(second.code, 0, second.stderr);
});

test.after(async () => {
  for (const node of started) node.child.kill('SIGKILL');
  await Promise.all(started.map((n) => n.exited));
  await new LocalReplicas('process').removeAll(started);
  if (isRoot) for (const ns of [NODES_NS, CLI_NS]) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
});

const it = isRoot ? test : test.skip;

it('from another network, the CLI with a context applies, gets, follows logs and execs, over TLS pinned by the token', async () => {
  const file = join(root, 'ticker.yaml');
  writeFileSync(
    file,
    'apiVersion: shoal/v1\nkind: Workload\nmetadata: {name: ticker}\nspec:\n  image: ignored:1\n  command: [sh, -c, "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"]\n',
  );
  const applied = await inCli(['apply', '-f', file]);
  assert.is(applied.code, 0, applied.stderr);
  await poll(
    'the ticker running',
    async () => {
      const placements = await inCli(['get', 'placements', '-o', 'json']);
      return placements.code === 0 && (JSON.parse(placements.stdout) as { state: string }[]).some((p) => p.state === 'running') ? true : undefined;
    },
    30_000,
  );
  const listed = await inCli(['get', 'workloads']);
  assert.match(listed.stdout, 'ticker');
  const exec = await inCli(['exec', 'ticker', '--', 'echo', 'inside']);
  assert.is(exec.code, 0, exec.stderr);
  assert.match(exec.stdout, 'inside');

  const follower = spawn('ip', ['netns', 'exec', CLI_NS, SHOAL_BIN, 'logs', 'ticker', '-f', '--tail', '0'], {
    env: { ...process.env, ...cliEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let followed = '';
  follower.stdout.on('data', (d: Buffer) => (followed += d.toString()));
  try {
    await poll('two new lines followed', async () => ((followed.match(/tick \d+\n/g) ?? []).length >= 2 ? true : undefined), 20_000);
  } finally {
    follower.kill('SIGKILL');
  }
});

it('the CLI tries the next node of its context when one does not answer, and refuses a node whose certificate is not the pinned one', async () => {
  const fingerprint = started[0]?.apiFingerprint ?? '';
  assert.is((await inCli(['context', 'add', 'flaky', '--api', `${NOBODY}:7371`, '--fingerprint', fingerprint])).code, 0);
  assert.is((await inCli(['context', 'add', 'flaky', '--api', `${NODE_1}:7371`, '--fingerprint', fingerprint, '--key', key])).code, 0);
  const got = await inCli(['get', 'workloads', '--context', 'flaky']);
  assert.is(got.code, 0, got.stderr);
  assert.match(got.stdout, 'ticker');

  const impostor = await inCli(['get', 'workloads', '--api', `${NODE_1}:7371`, '--fingerprint', started[1]?.apiFingerprint ?? '', '--key', key]);
  assert.is(impostor.code, 1);
  assert.match(impostor.stderr, /presented certificate [0-9a-f]{16}…, not the pinned/);
});

it('with its first node killed, the context reaches the cluster through the other', async () => {
  const first = started[0] as ShoalNodeProcess;
  first.child.kill('SIGKILL');
  await first.exited;
  const got = await inCli(['get', 'workloads']);
  assert.is(got.code, 0, got.stderr);
  assert.match(got.stdout, 'ticker');
});

test.run();

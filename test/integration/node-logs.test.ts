import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runShoal, SHOAL_BIN, startShoal } from '../../testnet/local/shoal-process.js';
import { poll } from '../../testnet/poll.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-logs-'));
const dataDir = join(dir, 'node');
const nodeArgs = ['--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--swim-preset', 'local', '--runtime', 'process'];

test.before(async () => {
  const init = await runShoal(['init', '--data-dir', dataDir, '--key', join(dir, 'operator.key')]);
  assert.is(init.code, 0, init.stderr);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('off a terminal, everything a node writes is one JSON record per line', async () => {
  const node = await startShoal(nodeArgs);
  try {
    await poll('a second line', async () => (node.output().trim().split('\n').length >= 2 ? true : undefined), 10_000).catch(() => undefined);
  } finally {
    node.child.kill('SIGTERM');
    await node.exited;
  }
  const lines = node.output().trim().split('\n');
  for (const line of lines) assert.not.throws(() => JSON.parse(line), `not JSON: ${line}`);
  const started = lines.map((l) => JSON.parse(l) as { msg: string; peerId?: string; api?: string }).find((r) => r.msg === 'shoal node started');
  assert.ok(started?.peerId !== undefined && started.api?.startsWith('http://127.0.0.1:'), 'the started record names the node and its API');
});

test('--log-file appends the records to the file and leaves standard output empty; --log-format pretty is for people', async () => {
  const logFile = join(dir, 'logs', 'node.log');
  const child = spawn(SHOAL_BIN, ['start', ...nodeArgs, '--log-file', logFile, '--log-format', 'pretty'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise((resolve) => child.on('close', resolve));
  try {
    await poll('the started line in the file', async () => (existsSync(logFile) && readFileSync(logFile, 'utf8').includes('shoal node started') ? true : undefined), 20_000);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const text = readFileSync(logFile, 'utf8');
  assert.match(text, /INFO.*shoal node started/);
  assert.not.ok(text.trimStart().startsWith('{'), 'pretty, not JSON');
  assert.is(stdout, '');
});

test('an unknown --log-format is refused, naming the flag', async () => {
  const run = await runShoal(['start', ...nodeArgs, '--log-format', 'xml']);
  assert.is.not(run.code, 0);
  assert.match(run.stderr, /--log-format 'xml': expected json or pretty/);
});

test.run();

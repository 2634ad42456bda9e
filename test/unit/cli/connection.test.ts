import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addContext } from '../../../cli/commands/context.js';
import { connection } from '../../../cli/connection.js';
import { loadConfig } from '../../../cli/contexts.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-connection-'));
const FP_A = 'a1'.repeat(32);
const FP_B = 'b2'.repeat(32);
const dataDir = join(dir, 'no-node-here');
const saved = { config: process.env.SHOAL_CONFIG, context: process.env.SHOAL_CONTEXT, key: process.env.SHOAL_OPERATOR_KEY };
let log: typeof console.log;

test.before.each(() => {
  process.env.SHOAL_CONFIG = join(dir, `config-${Math.random().toString(36).slice(2)}`);
  delete process.env.SHOAL_CONTEXT;
  process.env.SHOAL_OPERATOR_KEY = '/default/operator.key';
  log = console.log;
  console.log = () => undefined;
});

test.after.each(() => {
  console.log = log;
});

test.after(() => {
  for (const [name, value] of Object.entries({ SHOAL_CONFIG: saved.config, SHOAL_CONTEXT: saved.context, SHOAL_OPERATOR_KEY: saved.key })) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(dir, { recursive: true, force: true });
});

test('with no context and no --api, the CLI talks to the local node on loopback with the default key', () => {
  assert.equal(connection({ dataDir }), { api: { url: 'http://127.0.0.1:7371' }, key: '/default/operator.key' });
});

test('a context names its nodes, https off loopback with their fingerprints, and its key; --key still wins', () => {
  addContext({ name: 'prod', api: '10.0.0.5:7371', fingerprint: FP_A.toUpperCase().match(/../g)?.join(':') ?? '', key: '/keys/prod.key' });
  addContext({ name: 'prod', api: '10.0.0.6:7371', fingerprint: FP_B });
  assert.equal(connection({ dataDir }), {
    api: [
      { url: 'https://10.0.0.5:7371', fingerprint: FP_A },
      { url: 'https://10.0.0.6:7371', fingerprint: FP_B },
    ],
    key: '/keys/prod.key',
  });
  assert.is(connection({ dataDir, key: '/mine.key' }).key, '/mine.key');
  assert.is(loadConfig().current, 'prod', 'the first context becomes the current one');
});

test('--api alone finds its fingerprint in any context that lists the node; a node nobody pinned has none', () => {
  addContext({ name: 'prod', api: '10.0.0.5:7371', fingerprint: FP_A });
  assert.equal(connection({ dataDir, api: '10.0.0.5:7371' }).api, { url: 'https://10.0.0.5:7371', fingerprint: FP_A });
  assert.equal(connection({ dataDir, api: '10.0.0.9:7371' }).api, { url: 'https://10.0.0.9:7371', fingerprint: undefined });
  assert.equal(connection({ dataDir, api: '127.0.0.1:9000' }).api, { url: 'http://127.0.0.1:9000', fingerprint: undefined });
});

test('SHOAL_CONTEXT and --context pick a context; an unknown one is an error that names the file', () => {
  addContext({ name: 'a', api: '127.0.0.1:1001' });
  addContext({ name: 'b', api: '127.0.0.1:1002' });
  process.env.SHOAL_CONTEXT = 'b';
  assert.equal(connection({ dataDir }).api, [{ url: 'http://127.0.0.1:1002', fingerprint: undefined }]);
  assert.equal(connection({ dataDir, context: 'a' }).api, [{ url: 'http://127.0.0.1:1001', fingerprint: undefined }]);
  assert.throws(() => connection({ dataDir, context: 'c' }), /no context 'c' in .*config-/);
});

test('context add refuses a node off loopback without a fingerprint, a malformed fingerprint, and a token with no API', () => {
  assert.throws(() => addContext({ name: 'x', api: '10.0.0.5:7371' }), /reached over TLS: give --fingerprint/);
  assert.throws(() => addContext({ name: 'x', api: '10.0.0.5:7371', fingerprint: 'abc' }), /invalid --fingerprint 'abc'/);
  assert.throws(() => addContext({ name: 'x' }), /a new context needs a node/);
  assert.equal(loadConfig().contexts, {}, 'nothing was written');
});

test('a config file that is not what Shoal writes is refused with the field that is wrong', () => {
  writeFileSync(process.env.SHOAL_CONFIG as string, 'contexts:\n  prod:\n    nodes:\n      - api: 10.0.0.5:7371\n        fingerprint: nope\n');
  assert.throws(() => connection({ dataDir }), /contexts\.prod\.nodes\.0\.fingerprint: 64 hex digits/);
});

test.run();

import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpbis } from 'http-message-signatures';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signedFetch } from '../../cli/client.js';
import { loadOperatorKey, loadOrCreateOperatorKey, type OperatorKey } from '../../node/operator-key.js';
import { signatureHeaders, SIGNATURE_PARAMS, SIGNED_COMPONENTS } from '../../node/request-signature.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { poll } from '../../testnet/poll.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';

const root = mkdtempSync(join(tmpdir(), 'shoal-api-auth-'));
let cluster: LocalCluster;
let node: ShoalNodeProcess;
let admin: OperatorKey;

/** `shoal ARGS` against the node as `key`; after `--` everything is the command exec runs. */
const shoal = (args: string[], key: string) => {
  const end = args.includes('--') ? args.indexOf('--') : args.length;
  return runShoal([...args.slice(0, end), '--api', node.apiAddress, '--key', key, ...args.slice(end)]);
};

async function operator(name: string, flags: string[]): Promise<OperatorKey> {
  const key = loadOrCreateOperatorKey(join(root, `${name}.key`));
  const added = await shoal(['operator', 'add', key.publicKey, ...flags], cluster.operatorKey);
  assert.is(added.code, 0, added.stderr);
  return key;
}

function manifest(name: string, namespace: string): string {
  const file = join(root, `${namespace}-${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: shoal/v1\nkind: Workload\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n  image: ignored:1\n  command: [sh, -c, "echo hello from ${name}; exec sleep 300"]\n`,
  );
  return file;
}

test.before(async () => {
  cluster = await startLocalCluster({ dir: join(root, 'c'), nodes: 1, args: ['--runtime', 'process'] });
  node = cluster.nodes[0] as ShoalNodeProcess;
  admin = loadOperatorKey(cluster.operatorKey);
  await waitForMembers(node.api, cluster.operatorKey, (m) => m.length === 1, 20_000);
  for (const [name, namespace] of [
    ['web', 'default'],
    ['cart', 'shop'],
  ] as const) {
    const applied = await shoal(['apply', '-f', manifest(name, namespace)], cluster.operatorKey);
    assert.is(applied.code, 0, applied.stderr);
  }
  await poll(
    'both replicas running',
    async () => {
      const placements = (await (await signedFetch(admin)(`${node.api}/v1/placements`)).json()) as { state: string }[];
      return placements.filter((p) => p.state === 'running').length === 2 ? true : undefined;
    },
    20_000,
  );
});

test.after(async () => {
  await cluster?.stop(0);
  if (node !== undefined) await new LocalReplicas('process').removeAll([node]);
  rmSync(root, { recursive: true, force: true });
});

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const ROUTES: [string, RequestInit?][] = [
  ['/v1/status'],
  ['/v1/nodes'],
  ['/v1/objects?kind=Workload'],
  ['/v1/events'],
  ['/v1/cluster/events'],
  ['/v1/operators'],
  ['/v1/workloads/default/web/logs'],
  ['/v1/workloads/default/web/exec', json({ command: ['id'] })],
  ['/v1/secrets/seal', json({ object: 'Secret/default/db', values: { password: 'aHVudGVyMg==' } })],
  ['/v1/deltas', json({})],
  ['/v1/faults/partition', json({ peers: [] })],
];

test('an unsigned request gets 401 saying what is missing, on every route but /v1/ready', async () => {
  for (const [path, init] of ROUTES) {
    const response = await fetch(`${node.api}${path}`, init);
    assert.is(response.status, 401, path);
    const body = (await response.json()) as { error: string; detail: string };
    assert.is(body.error, 'unsigned', path);
    assert.match(body.detail, 'signed with an operator key');
  }
  assert.is((await fetch(`${node.api}/v1/ready`)).status, 200);
});

test('a key that is not an operator, a signature over another request, a changed body, a replay and a stale signature are each refused', async () => {
  const stranger = loadOrCreateOperatorKey(join(root, 'stranger.key'));
  const refused = async (response: Response): Promise<string> => `${response.status} ${((await response.json()) as { error: string }).error}`;
  assert.is(await refused(await signedFetch(stranger)(`${node.api}/v1/status`)), '401 not-an-operator');
  // Refused before its body is read: a body that is not JSON would otherwise be a 400 from the parser.
  const strangerPost = await signatureHeaders(stranger, 'POST', `${node.api}/v1/secrets/seal`, '{not json');
  assert.is(
    await refused(await fetch(`${node.api}/v1/secrets/seal`, { method: 'POST', headers: { ...strangerPost, 'content-type': 'application/json' }, body: '{not json' })),
    '401 not-an-operator',
  );

  const forStatus = await signatureHeaders(admin, 'GET', `${node.api}/v1/status`);
  assert.is(await refused(await fetch(`${node.api}/v1/nodes`, { headers: forStatus })), '401 bad-signature');

  const body = JSON.stringify({ object: 'Secret/default/db', values: { password: 'aGk=' } });
  const signedBody = await signatureHeaders(admin, 'POST', `${node.api}/v1/secrets/seal`, body);
  const changed = body.replace('aGk=', 'aG8=');
  assert.is(
    await refused(await fetch(`${node.api}/v1/secrets/seal`, { method: 'POST', headers: { ...signedBody, 'content-type': 'application/json' }, body: changed })),
    '401 bad-digest',
  );

  const once = await signatureHeaders(admin, 'GET', `${node.api}/v1/status`);
  assert.is((await fetch(`${node.api}/v1/status`, { headers: once })).status, 200);
  assert.is(await refused(await fetch(`${node.api}/v1/status`, { headers: once })), '401 replayed');

  const stale = await httpbis.signMessage(
    {
      key: { id: admin.publicKey, alg: 'ed25519', sign: async (data) => Buffer.from(admin.sign(data)) },
      fields: [...SIGNED_COMPONENTS],
      params: [...SIGNATURE_PARAMS],
      paramValues: { created: new Date(Date.now() - 10 * 60_000), nonce: 'a-nonce-of-long-ago-0000' },
    },
    { method: 'GET', url: `${node.api}/v1/status`, headers: {} },
  );
  const staleRefusal = await fetch(`${node.api}/v1/status`, { headers: stale.headers as Record<string, string> });
  assert.is(staleRefusal.status, 401);
  assert.match(((await staleRefusal.json()) as { detail: string }).detail, /signed 60\d s before this node's time/);
});

test('a signed body that would set a prototype is refused as Fastify refuses it, before any route reads it', async () => {
  const poisoned = await signedFetch(admin)(`${node.api}/v1/secrets/seal`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"__proto__": {"polluted": true}, "object": "Secret/default/db", "values": {}}',
  });
  assert.is(poisoned.status, 400);
  assert.match(await poisoned.text(), /FST_ERR_CTP_INVALID_JSON_BODY/, 'the parser refused it, not a route');
});

test('a request that names the node by a DNS name is refused before anything else: what a rebinding page would send', async () => {
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const url = new URL(`${node.api}/v1/ready`);
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, headers: { host: `attacker.example:${url.port}` } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end();
  });
  assert.is(status, 403);
  assert.match(body, 'bad-host');
});

test('a viewer reads, lists and follows logs, and is refused apply and exec with a sentence', async () => {
  const viewer = await operator('viewer', ['--role', 'viewer']);
  const listed = await shoal(['get', 'workloads'], viewer.path);
  assert.is(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, 'web');
  const logs = await shoal(['logs', 'web'], viewer.path);
  assert.is(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, 'hello from web');
  const apply = await shoal(['apply', '-f', manifest('sneaky', 'default')], viewer.path);
  assert.is(apply.code, 1);
  assert.match(apply.stderr, /is viewer/);
  const exec = await shoal(['exec', 'web', '--', 'id'], viewer.path);
  assert.is(exec.code, 1);
  assert.match(exec.stderr, /needs exec/);
});

test('a deployer of shop applies and seals in shop, and may touch nothing in default, no operator and no replica', async () => {
  const deployer = await operator('deployer', ['--role', 'deployer', '--namespace', 'shop']);
  const ok = await shoal(['apply', '-f', manifest('basket', 'shop')], deployer.path);
  assert.is(ok.code, 0, ok.stderr);
  const elsewhere = await shoal(['apply', '-f', manifest('intruder', 'default')], deployer.path);
  assert.is(elsewhere.code, 1);
  assert.match(elsewhere.stderr, /deployer in shop: it may not write Workload\/default\/intruder/);
  const sealElsewhere = await signedFetch(deployer)(`${node.api}/v1/secrets/seal`, json({ object: 'Secret/default/db', values: { password: 'aGk=' } }) as never);
  assert.is(sealElsewhere.status, 403);
  const sealHere = await signedFetch(deployer)(`${node.api}/v1/secrets/seal`, json({ object: 'Secret/shop/db', values: { password: 'aGk=' } }) as never);
  assert.is(sealHere.status, 200);
  const grant = await shoal(['operator', 'add', deployer.publicKey, '--role', 'admin'], deployer.path);
  assert.is(grant.code, 1, 'a deployer cannot make itself an admin');
  const exec = await shoal(['exec', 'cart', '-n', 'shop', '--', 'id'], deployer.path);
  assert.is(exec.code, 1, 'exec is a grant of its own');
});

test('exec granted to a deployer of shop runs in shop only', async () => {
  const runner = await operator('runner', ['--role', 'deployer', '--namespace', 'shop', '--exec']);
  const here = await shoal(['exec', 'cart', '-n', 'shop', '--', 'echo', 'inside'], runner.path);
  assert.is(here.code, 0, here.stderr);
  assert.match(here.stdout, 'inside');
  const there = await shoal(['exec', 'web', '--', 'echo', 'inside'], runner.path);
  assert.is(there.code, 1);
  assert.match(there.stderr, /namespace default/);
  // The bounds a peer's exec request has: the node refuses, naming the field, and runs nothing.
  for (const [body, field] of [
    [{ command: Array.from({ length: 257 }, () => 'x') }, 'command'],
    [{ command: ['echo'], timeoutMs: 3_600_001 }, 'timeoutMs'],
    [{ command: ['echo'], slot: -1 }, 'slot'],
    [{ command: ['echo'], tty: true }, 'body'],
  ] as const) {
    const refused = await signedFetch(runner)(`${node.api}/v1/workloads/shop/cart/exec`, json(body) as never);
    assert.is(refused.status, 400, JSON.stringify(body));
    assert.match(((await refused.json()) as { detail: string }).detail, new RegExp(`^${field}`));
  }
});

test('operator list shows each key with its role', async () => {
  const list = await shoal(['operator', 'list', '-o', 'json'], cluster.operatorKey);
  assert.is(list.code, 0, list.stderr);
  const operators = JSON.parse(list.stdout) as { publicKey: string; role: string; namespaces: string[] | null; exec: boolean }[];
  assert.equal(
    operators.find((o) => o.publicKey === admin.publicKey),
    { publicKey: admin.publicKey, role: 'admin', namespaces: null, exec: true },
  );
  assert.equal(
    operators.find((o) => o.role === 'viewer'),
    { publicKey: loadOperatorKey(join(root, 'viewer.key')).publicKey, role: 'viewer', namespaces: null, exec: false },
  );
});

test.run();

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeKey, operatorKey, signDelta, type Delta, type Hlc, type Op } from '../../crdt/index.js';
import { placementField } from '../../protocol/node-writes.js';
import { loadOperatorKey, loadOrCreateOperatorKey, type OperatorKey } from '../../node/operator-key.js';
import { peerIdOfPublicKey } from '../../base/peer-id.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { poll } from '../../testnet/poll.js';
import { signedFetch } from '../../cli/client.js';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { loadCluster } from '../../node/cluster.js';
import { SWIM_PROTOCOL } from '../../node/frame-transport.js';
import { createHost, loopbackTrust } from '../../node/host.js';
import { SWIM_WIRE_VERSION } from '../../protocol/swim/index.js';

/**
 * The trust model on three real nodes: a key that never joined, a removed operator
 * writing behind its revocation, a poisoned clock, and one key flooding, each refused
 * by every node while honest writes keep landing.
 */
/** A small quota, so the flood outruns it however slow this machine is: 1 delta a second after the burst. */
const BURST = 150;
const root = mkdtempSync(join(tmpdir(), 'shoal-trust-'));
let cluster: LocalCluster;
let rootKey: OperatorKey;
let clusterId: string;

test.before(async () => {
  cluster = await startLocalCluster({ dir: join(root, 'c'), nodes: 3, args: ['--runtime', 'process', '--write-quota', `1/${BURST}`] });
  for (const node of cluster.nodes) await waitForMembers(node.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 30_000);
  rootKey = loadOperatorKey(cluster.operatorKey);
  clusterId = ((await (await signedFetch(cluster.operatorKey)(`${cluster.nodes[0]!.api}/v1/status`)).json()) as { cluster: string }).cluster;
});

test.after(async () => {
  await cluster?.stop(0);
  rmSync(root, { recursive: true, force: true });
});

const shoal = async (args: string[], node: ShoalNodeProcess = cluster.nodes[0] as ShoalNodeProcess): Promise<string> => {
  const result = await runShoal([...args, '--api', node.apiAddress, ...(args.includes('--key') ? [] : ['--key', cluster.operatorKey])]);
  assert.is(result.code, 0, `shoal ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
};

interface Posted {
  status: number;
  error?: string;
}

/** Posts `delta` as its author does: the request signed with the author's key. */
const post = async (node: ShoalNodeProcess, delta: Delta, author: OperatorKey): Promise<Posted> => {
  const response = await signedFetch(author)(`${node.api}/v1/deltas`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(delta),
  });
  return { status: response.status, error: ((await response.json()) as { error?: string }).error };
};

const sign = (key: OperatorKey, ops: Op[], hlc: Hlc, seq = 1, prev?: string[]): Delta =>
  signDelta({ v: 1, cluster: clusterId, author: key.publicKey, seq, ...(prev ? { prev } : {}), hlc, ops }, key.sign);

const apply = async (name: string, key: string, node?: ShoalNodeProcess): Promise<void> => {
  const file = join(root, `${name}.yaml`);
  writeFileSync(file, `apiVersion: shoal/v1\nkind: Workload\nmetadata: {name: ${name}}\nspec:\n  image: shoal/busybox:1\n  command: [sleep, "3600"]\n  replicas: 0\n`);
  await shoal(['apply', '-f', file, '--key', key], node);
};

const loadRole = async (node: ShoalNodeProcess, publicKey: string): Promise<string | undefined> =>
  ((await (await signedFetch(cluster.operatorKey)(`${node.api}/v1/operators`)).json()) as { publicKey: string; role: string }[]).find((o) => o.publicKey === publicKey)?.role;

const exists = async (node: ShoalNodeProcess, key: string): Promise<boolean> => (await signedFetch(cluster.operatorKey)(`${node.api}/v1/objects/${key}`)).status === 200;

// The API refuses the key before anything reads the delta; a peer that carries such a delta
// on gossip meets the same verdict in each replica (state-wire.test.ts, node-writes.test.ts).
test('a key that never joined has its Placement, Status, Rollout and admission writes refused by every node', async () => {
  await apply('web', cluster.operatorKey);
  const stranger = loadOrCreateOperatorKey(join(root, 'stranger.key'));
  const id = peerIdOfPublicKey(stranger.publicKey);
  const now = { wallMs: Date.now(), counter: 0 };
  const writes: Op[][] = [
    [{ key: 'Placement/default/web.0', set: { [placementField(1, id)]: { winner: id, score: 1e9 } } }],
    [{ key: 'Placement/default/web.0', set: { [placementField(999_999_999, id)]: { winner: id } } }],
    [{ key: 'Status/default/web.0', set: { [id]: { state: 'running', epoch: 1 } } }],
    [{ key: 'Rollout/default/web', set: { [`failed.0123456789ab.${id}`]: { reason: 'forced', slot: 0 } } }],
    [{ key: nodeKey(stranger.publicKey), set: { peerId: id } }],
  ];
  for (const node of cluster.nodes) {
    for (const ops of writes) assert.equal(await post(node, sign(stranger, ops, now), stranger), { status: 401, error: 'not-an-operator' }, JSON.stringify(ops));
  }
});

test("a removed operator's backdated write, and the operator it would add, are refused by every node", async () => {
  const bob = loadOrCreateOperatorKey(join(root, 'bob.key'));
  const sybil = loadOrCreateOperatorKey(join(root, 'sybil.key'));
  await shoal(['operator', 'add', bob.publicKey, '--key', cluster.operatorKey]);
  const addedAtMs = Date.now();
  await poll(
    'bob may write on every node',
    async () =>
      (
        await Promise.all(
          cluster.nodes.map(async (n) =>
            ((await (await signedFetch(cluster.operatorKey)(`${n.api}/v1/operators`)).json()) as { publicKey: string }[]).some((o) => o.publicKey === bob.publicKey),
          ),
        )
      ).every(Boolean)
        ? true
        : undefined,
    20_000,
  );
  await apply('by-bob', bob.path, cluster.nodes[1]);
  await poll(
    "bob's workload on every node",
    async () => ((await Promise.all(cluster.nodes.map((n) => exists(n, 'Workload/default/by-bob')))).every(Boolean) ? true : undefined),
    20_000,
  );
  await shoal(['operator', 'remove', bob.publicKey, '--key', cluster.operatorKey]);
  await poll(
    'bob removed on every node',
    async () =>
      (
        await Promise.all(
          cluster.nodes.map(
            async (n) => !((await (await signedFetch(cluster.operatorKey)(`${n.api}/v1/operators`)).json()) as { publicKey: string }[]).some((o) => o.publicKey === bob.publicKey),
          ),
        )
      ).every(Boolean)
        ? true
        : undefined,
    20_000,
  );
  // Stamped inside bob's old window, as if written before the removal.
  const backdated = { wallMs: addedAtMs + 1, counter: 0 };
  const backdoor = sign(
    bob,
    [
      { key: 'Workload/default/backdoor', set: { 'spec.image': 'evil', 'spec.replicas': 1 } },
      { key: operatorKey(sybil.publicKey), set: { publicKey: sybil.publicKey } },
    ],
    backdated,
    2,
  );
  for (const node of cluster.nodes) {
    assert.equal(await post(node, backdoor, bob), { status: 401, error: 'removed' });
    assert.ok(await exists(node, 'Workload/default/by-bob'), 'what bob wrote before his removal stays');
    assert.not.ok(await exists(node, 'Workload/default/backdoor'));
    assert.not.ok(((await (await signedFetch(cluster.operatorKey)(`${node.api}/v1/operators`)).json()) as { publicKey: string }[]).some((o) => o.publicKey === sybil.publicKey));
  }
});

test('a demotion pins what the operator wrote: `operator add --role` writes its heads, and every node holds the new role', async () => {
  const carol = loadOrCreateOperatorKey(join(root, 'carol.key'));
  await shoal(['operator', 'add', carol.publicKey, '--key', cluster.operatorKey]);
  const entry = cluster.nodes[0] as ShoalNodeProcess;
  await poll('carol may write', async () => loadRole(entry, carol.publicKey).then((role) => (role === 'admin' ? true : undefined)), 20_000);
  await apply('by-carol', carol.path, entry);
  const { heads } = (await (await signedFetch(cluster.operatorKey)(`${entry.api}/v1/authors/${carol.publicKey}`)).json()) as { heads: string[] };
  assert.is(heads.length, 1);
  await shoal(['operator', 'add', carol.publicKey, '--role', 'viewer', '--key', cluster.operatorKey], entry);
  for (const node of cluster.nodes) {
    await poll(`carol a viewer on ${node.peerId}`, async () => ((await loadRole(node, carol.publicKey)) === 'viewer' ? true : undefined), 20_000);
    const grant = (await (await signedFetch(cluster.operatorKey)(`${node.api}/v1/objects/${operatorKey(carol.publicKey)}`)).json()) as { fields: { heads?: string[] } };
    assert.equal(grant.fields.heads, heads, 'the grant pins what carol had written');
    assert.ok(await exists(node, 'Workload/default/by-carol'), 'which stands');
  }
});

test('a delta with its clock counter at the limit is refused by every node, and writes keep working', async () => {
  const author = (await (await signedFetch(cluster.operatorKey)(`${cluster.nodes[0]!.api}/v1/authors/${rootKey.publicKey}`)).json()) as { nextSeq: number; heads: string[] };
  const poisoned = sign(
    rootKey,
    [{ key: 'Workload/default/poison', set: { 'spec.image': 'x' } }],
    { wallMs: Date.now() + 30_000, counter: 0xffffffff },
    author.nextSeq,
    author.heads,
  );
  for (const node of cluster.nodes) assert.equal(await post(node, poisoned, rootKey), { status: 422, error: 'clock-counter' });
  for (const [i, node] of cluster.nodes.entries()) await apply(`after-${i}`, cluster.operatorKey, node);
  for (const node of cluster.nodes) {
    await poll(
      'every write on every node',
      async () => ((await Promise.all([0, 1, 2].map((i) => exists(node, `Workload/default/after-${i}`)))).every(Boolean) ? true : undefined),
      20_000,
    );
  }
});

test('one operator applying through two nodes at once is no equivocator; one writer signing twice under one number is', async () => {
  const equivocations = async (node: ShoalNodeProcess): Promise<number> =>
    ((await (await signedFetch(cluster.operatorKey)(`${node.api}/v1/status`)).json()) as { state: { equivocations: number } }).state.equivocations;
  const [left, right] = cluster.nodes as [ShoalNodeProcess, ShoalNodeProcess];
  for (let round = 0; round < 3; round++) await Promise.all([apply(`left-${round}`, cluster.operatorKey, left), apply(`right-${round}`, cluster.operatorKey, right)]);
  for (const node of cluster.nodes) {
    await poll(
      'every concurrent write everywhere',
      async () =>
        (await Promise.all([0, 1, 2].flatMap((r) => [exists(node, `Workload/default/left-${r}`), exists(node, `Workload/default/right-${r}`)]))).every(Boolean) ? true : undefined,
      20_000,
    );
    assert.is(await equivocations(node), 0);
  }
  const writer = 'c0ffee00c0ffee00';
  const twice = (name: string): Delta =>
    signDelta(
      {
        v: 1,
        cluster: clusterId,
        author: rootKey.publicKey,
        writer,
        seq: 1,
        hlc: { wallMs: Date.now(), counter: 0 },
        ops: [{ key: `Workload/default/${name}`, set: { 'spec.image': 'x', 'spec.replicas': 0 } }],
      },
      rootKey.sign,
    );
  assert.is((await post(left, twice('first'), rootKey)).status, 201);
  assert.is((await post(left, twice('second'), rootKey)).status, 201);
  assert.is(await equivocations(left), 1);
});

test("a flood from one key is cut at its quota while another key's writes still land", async () => {
  const flooder = loadOrCreateOperatorKey(join(root, 'flooder.key'));
  await shoal(['operator', 'add', flooder.publicKey, '--key', cluster.operatorKey]);
  const target = cluster.nodes[2] as ShoalNodeProcess;
  await poll(
    'the flooder may write',
    async () =>
      ((await (await signedFetch(cluster.operatorKey)(`${target.api}/v1/operators`)).json()) as { publicKey: string }[]).some((o) => o.publicKey === flooder.publicKey)
        ? true
        : undefined,
    20_000,
  );
  const codes = new Map<number, number>();
  let prev: string[] | undefined;
  const flood = (async () => {
    for (let i = 0; i < 2 * BURST; i++) {
      const delta = sign(flooder, [{ key: `Workload/flood/w${i}`, set: { 'spec.image': 'x', 'spec.replicas': 0 } }], { wallMs: Date.now(), counter: 0 }, i + 1, prev);
      const { status } = await post(target, delta, flooder);
      if (status === 201) prev = [delta.id];
      codes.set(status, (codes.get(status) ?? 0) + 1);
    }
  })();
  await apply('during-flood', cluster.operatorKey, target);
  await flood;
  assert.ok((codes.get(429) ?? 0) > 0, `the flood was cut: ${JSON.stringify([...codes])}`);
  assert.ok((codes.get(201) ?? 0) >= BURST, 'its burst landed');
  await apply('after-flood', cluster.operatorKey, target);
  for (const node of cluster.nodes)
    assert.ok(
      await poll(
        'the honest writes everywhere',
        async () => ((await exists(node, 'Workload/default/after-flood')) && (await exists(node, 'Workload/default/during-flood')) ? true : undefined),
        30_000,
      ),
    );
});

test('shoal status shows what a node refused, by reason', async () => {
  const text = await shoal(['status'], cluster.nodes[1]);
  assert.match(text, /requests refused\s+.*not-an-operator \d+/);
  assert.match(text, /writes refused\s+.*clock-counter 1/);
  const json = JSON.parse(await shoal(['status', '-o', 'json'], cluster.nodes[1])) as { api: { refused: Record<string, number> } };
  assert.ok((json.api.refused['not-an-operator'] ?? 0) >= 5, "the stranger's five writes");
});

test('a restarted node catches up 20 MB of writes through anti-entropy, and every node stays up with bounded memory', async () => {
  const victim = cluster.nodes[2] as ShoalNodeProcess;
  victim.child.kill('SIGTERM');
  await victim.exited;
  const entry = cluster.nodes[0] as ShoalNodeProcess;
  // 100 deltas of 200 KB each, signed here and posted straight to the API: large applies, as an operator's would be.
  const big = 'x'.repeat(200 * 1024);
  for (let i = 0; i < 100; i++) {
    const author = (await (await signedFetch(cluster.operatorKey)(`${entry.api}/v1/authors/${rootKey.publicKey}`)).json()) as { nextSeq: number; heads: string[]; hlc: Hlc };
    const delta = sign(
      rootKey,
      [{ key: `Workload/bulk/w${i}`, set: { 'spec.image': 'x', 'spec.replicas': 0, 'spec.env': { BLOB: big } } }],
      { wallMs: Math.max(Date.now(), author.hlc.wallMs + 1), counter: 0 },
      author.nextSeq,
      author.heads,
    );
    assert.is((await post(entry, delta, rootKey)).status, 201);
  }
  const back = await cluster.restart(victim);
  const count = async (node: ShoalNodeProcess): Promise<number> =>
    ((await (await signedFetch(cluster.operatorKey)(`${node.api}/v1/status`)).json()) as { state: { deltas: number } }).state.deltas;
  const target = await count(entry);
  await poll('the restarted node holds every delta', async () => ((await count(back)) >= target ? true : undefined), 120_000);
  for (const node of cluster.nodes) {
    assert.ok(node.child.exitCode === null && node.child.signalCode === null, `node ${node.peerId} is up`);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${node.child.pid}/status`, 'utf8'))?.[1]);
    assert.ok(rssKb < 600 * 1024, `node ${node.peerId} uses ${Math.round(rssKb / 1024)} MB`);
  }
});

test('a key holder that speaks for a member in SWIM (left, dead and alive at 2^32-1, signed by nobody) evicts no one', async () => {
  const [entry, victim] = cluster.nodes as [ShoalNodeProcess, ShoalNodeProcess];
  const { psk } = loadCluster(entry.dataDir);
  const insider = await createHost({ privateKey: await generateKeyPair('Ed25519'), psk, clusterId, listen: ['/ip4/127.0.0.1/tcp/0'], ...loopbackTrust });
  try {
    const MAX = 0xffffffff;
    const record = { i: victim.peerId, a: ['/ip4/127.0.0.1/tcp/9'], l: {}, c: [1, 1], v: '0' };
    const lies = [
      ['l', MAX, victim.peerId, 'f'.repeat(128)],
      ['d', MAX, victim.peerId, insider.peerId.toString()],
      ['s', MAX, entry.peerId, insider.peerId.toString()],
      ['a', MAX, record, 'f'.repeat(128)],
    ];
    for (const lie of lies) {
      const stream = await insider.dialProtocol(multiaddr(entry.listen[0]!), SWIM_PROTOCOL);
      await lpStream(stream).write(new TextEncoder().encode(JSON.stringify({ v: SWIM_WIRE_VERSION, t: 'gossip', u: [lie] })));
      await stream.close().catch(() => undefined);
    }
    const refused = await poll(
      'the four lies counted',
      async () => {
        const { swim } = (await (await signedFetch(cluster.operatorKey)(`${entry.api}/v1/status`)).json()) as { swim: { refused: { signature: number; incarnation: number } } };
        return swim.refused.signature + swim.refused.incarnation >= 4 ? swim.refused : undefined;
      },
      30_000,
    );
    assert.ok(refused.signature >= 2 && refused.incarnation >= 2, JSON.stringify(refused));
    const metrics = await (await fetch(`${entry.api}/metrics`)).text();
    assert.match(metrics, /shoal_messages_dropped_total\{source="swim-update",reason="signature"\} [1-9]/);
    // Had one lie counted anywhere, the victim would be left or dead, or the entry node past 2^32-1, on every node by now.
    for (const node of cluster.nodes) {
      const members = (await (await signedFetch(cluster.operatorKey)(`${node.api}/v1/nodes`)).json()) as { id: string; state: string; incarnation: number }[];
      for (const id of [victim.peerId, entry.peerId]) {
        const member = members.find((m) => m.id === id);
        assert.is(member?.state, 'alive', `${node.peerId} sees ${id} alive`);
        assert.ok((member?.incarnation ?? MAX) < MAX, `${node.peerId} sees ${id} at incarnation ${member?.incarnation}`);
      }
    }
  } finally {
    await insider.stop();
  }
});

test('a removed node is cut off: every node refuses its connections and holds it dead, and it holds the others dead', async () => {
  const [entry, removed, other] = cluster.nodes as [ShoalNodeProcess, ShoalNodeProcess, ShoalNodeProcess];
  await waitForMembers(removed.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 60_000);
  await shoal(['node', 'remove', removed.peerId]);
  const stateOf = (members: { id: string; state: string }[], id: string) => members.find((m) => m.id === id)?.state;
  // It keeps running and keeps dialling, as a node whose operator did not stop it would.
  for (const node of [entry, other]) await waitForMembers(node.api, cluster.operatorKey, (m) => stateOf(m, removed.peerId) === 'dead', 60_000);
  await waitForMembers(removed.api, cluster.operatorKey, (m) => m.every((x) => x.id === removed.peerId || x.state === 'dead'), 60_000);
  const gate = async (node: ShoalNodeProcess) =>
    ((await (await signedFetch(cluster.operatorKey)(`${node.api}/v1/status`)).json()) as { removedNodes: { refused: number; closed: number } }).removedNodes;
  for (const node of [entry, other]) {
    const counted = await gate(node);
    assert.ok(counted.refused + counted.closed > 0, `node ${node.peerId} counted its refusals: ${JSON.stringify(counted)}`);
    const metrics = await (await fetch(`${node.api}/metrics`)).text();
    const sample = (reason: string) => Number(new RegExp(`shoal_messages_dropped_total\\{source="connection",reason="${reason}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    // Read after the status, while the removed node still dials: at least as many.
    assert.ok(sample('removed-node') + sample('removed-node-closed') >= counted.refused + counted.closed, 'and its metrics say so');
  }
});

test.run();

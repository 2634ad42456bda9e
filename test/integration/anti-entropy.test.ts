import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeSyncMessage } from '../../crdt/anti-entropy-codec.js';
import { operatorKey, type Delta } from '../../crdt/index.js';
import { AntiEntropy, STATE_SYNC_PROTOCOL } from '../../node/anti-entropy.js';
import { generateClusterKey } from '../../node/cluster-key.js';
import { createHost, loopbackTrust, type Host } from '../../node/host.js';
import { StateService } from '../../node/state-service.js';
import { MAX_FRAME_BYTES } from '../../base/limits.js';
import { author, CLUSTER, write } from '../unit/crdt/fixtures.js';

interface Node {
  host: Host;
  state: StateService;
  sync: AntiEntropy;
}

const dir = mkdtempSync(join(tmpdir(), 'shoal-anti-entropy-'));
const operator = author(1);
const psk = generateClusterKey();
const log = pino({ level: 'silent' });
const nodes: Node[] = [];

async function startNode(name: string): Promise<Node> {
  const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), psk, clusterId: CLUSTER, listen: ['/ip4/127.0.0.1/tcp/0'], ...loopbackTrust });
  const state = await StateService.open(join(dir, name), { cluster: CLUSTER, operators: [operator.publicKey] }, log);
  // No timer: each test starts the exchanges it means, between hosts it has connected.
  const sync = new AntiEntropy(host, state, log, { intervalMs: 3_600_000, pickPeer: () => undefined, addressesOf: () => [] });
  await sync.start();
  const node = { host, state, sync };
  nodes.push(node);
  return node;
}

let a: Node;
let b: Node;

test.before(async () => {
  a = await startNode('a');
  b = await startNode('b');
  await b.host.dial(multiaddr(a.host.getMultiaddrs()[0]!.toString()));
});

test.after(async () => {
  for (const node of nodes) {
    await node.sync.stop();
    await node.host.stop();
    await node.state.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function writeOn(node: Node, count: number, bytes: number): Promise<Delta[]> {
  const deltas: Delta[] = [];
  for (let i = 0; i < count; i++) {
    const delta = write(operator, Date.now(), [{ key: `Workload/default/w${operator.seq + 1}`, set: { 'spec.image': 'x'.repeat(bytes) } }]);
    const result = await node.state.submit(delta, 'self');
    assert.ok(result.ok, JSON.stringify(result));
    deltas.push(delta);
  }
  return deltas;
}

async function until(what: string, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!ready()) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a repair larger than a frame goes both ways in several frames', async () => {
  const onA = await writeOn(a, 300, 2_000);
  const onB = await writeOn(b, 20, 10);
  const stats = await b.sync.syncWith(a.host.peerId.toString(), AbortSignal.timeout(20_000));
  assert.is(stats.received, onA.length);
  assert.is(stats.sent, onB.length);
  assert.ok(stats.bytes > 2 * MAX_FRAME_BYTES, `${stats.bytes} bytes`);
  assert.ok(stats.complete, 'the walk reached every difference: a catching-up node may count this exchange');
  for (const d of onA) assert.ok(b.state.replica.get(d.id));
  // The initiator is done once its last frame is written; the peer may still be storing it.
  await until('the deltas b pushed, on a', () => onB.every((d) => a.state.replica.get(d.id) !== undefined));
  assert.equal(b.sync.counters.dropped, {});
  assert.equal(a.sync.counters.dropped, {});
  assert.is(b.sync.counters.failed + a.sync.counters.failed, 0);
});

test("a repair's deltas are stored a frame at a time, not one synced write each; a key granted within the lot is taken in the same exchange", async () => {
  const c = await startNode('c');
  const d = await startNode('d');
  await d.host.dial(multiaddr(c.host.getMultiaddrs()[0]!.toString()));
  const teammate = author(2);
  const before = await writeOn(c, 200, 10);
  const grant = write(operator, Date.now(), [{ key: operatorKey(teammate.publicKey), set: { publicKey: teammate.publicKey } }]);
  assert.ok((await c.state.submit(grant, 'self')).ok);
  const byTeammate = write(teammate, Date.now() + 1, [{ key: 'Workload/default/teammates', set: { 'spec.image': 'busybox' } }]);
  assert.ok((await c.state.submit(byTeammate, 'self')).ok);
  const syncsBefore = d.state.syncs;
  const stats = await d.sync.syncWith(c.host.peerId.toString(), AbortSignal.timeout(20_000));
  assert.is(stats.received, before.length + 2, "the teammate's write, which only the grant before it allows, too");
  assert.ok(stats.complete);
  assert.ok(d.state.replica.get(byTeammate.id));
  const syncs = d.state.syncs - syncsBefore;
  assert.ok(syncs <= 8, `${stats.received} deltas took ${syncs} synced writes`);
  assert.equal(d.state.counters.rejected, {});
});

async function openSync(): Promise<{ stream: Stream; send: (bytes: Uint8Array) => Promise<void> }> {
  const stream = await b.host.dialProtocol(a.host.peerId, STATE_SYNC_PROTOCOL, { signal: AbortSignal.timeout(5_000) });
  const lp = lpStream(stream, { maxDataLength: 4 * MAX_FRAME_BYTES });
  return { stream, send: (bytes) => lp.write(bytes) };
}

test('a bad frame ends its exchange and is counted by code; the node goes on serving', async () => {
  const utf8 = (text: string) => new TextEncoder().encode(text);
  const refused = [
    ['malformed', utf8('{"t":"query"')],
    ['too-deep', utf8(`${'['.repeat(1_000)}${']'.repeat(1_000)}`)],
    ['invalid', utf8('{"t":"want","ids":["not hex"]}')],
    ['unexpected', encodeSyncMessage({ t: 'answer', answer: { entries: [] } })],
    ['oversized', new Uint8Array(MAX_FRAME_BYTES + 1)],
  ] as const;
  for (const [code, frame] of refused) {
    const failed = a.sync.counters.failed;
    const { stream, send } = await openSync();
    await send(frame).catch(() => undefined);
    await until(code, () => a.sync.counters.dropped[code] === 1 && a.sync.counters.failed === failed + 1);
    stream.abort(new Error('done'));
  }
  // Each prefix is a walk of the responder's digest: a query of more than ours ask is
  // refused, and so is a 65th query in one exchange.
  const tooWide = await openSync();
  await tooWide.send(encodeSyncMessage({ t: 'query', query: { prefixes: Array.from({ length: 129 }, (_, i) => i.toString(16).padStart(2, '0')) } })).catch(() => undefined);
  await until('a query of 129 prefixes refused', () => a.sync.counters.dropped.invalid === 2);
  tooWide.stream.abort(new Error('done'));
  const tooMany = await openSync();
  for (let i = 0; i < 65; i++) await tooMany.send(encodeSyncMessage({ t: 'query', query: { prefixes: [''] } })).catch(() => undefined);
  await until('a 65th query refused', () => a.sync.counters.dropped.unexpected === 2);
  tooMany.stream.abort(new Error('done'));

  const [good] = await writeOn(b, 1, 10);
  const { stream, send } = await openSync();
  await send(encodeSyncMessage({ t: 'deltas', deltas: [{ not: 'a delta' }, good], last: true }));
  await send(encodeSyncMessage({ t: 'done' }));
  await until('the good delta', () => a.state.replica.get(good!.id) !== undefined);
  assert.is(a.sync.counters.dropped['delta-invalid'], 1);
  await stream.close();
  const stats = await b.sync.syncWith(a.host.peerId.toString(), AbortSignal.timeout(10_000));
  assert.is(stats.received + stats.sent, 0);
});

test('deltas a peer adds to what was asked of it are dropped and counted, the asked ones merged', async () => {
  // A peer that answers any query with one id this node lacks, then sends that delta and another.
  const asked = write(operator, Date.now(), [{ key: 'Workload/default/asked', set: { 'spec.image': 'x' } }]);
  const extra = write(operator, Date.now(), [{ key: 'Workload/default/unasked', set: { 'spec.image': 'x' } }]);
  const liar = await createHost({ privateKey: await generateKeyPair('Ed25519'), psk, clusterId: CLUSTER, listen: ['/ip4/127.0.0.1/tcp/0'], ...loopbackTrust });
  try {
    await liar.handle(STATE_SYNC_PROTOCOL, async (stream) => {
      const lp = lpStream(stream, { maxDataLength: 4 * MAX_FRAME_BYTES });
      const summary = { prefix: '', count: 1, xor: BigInt(`0x${asked.id.slice(0, 16)}`).toString(16) };
      await lp.read();
      await lp.write(encodeSyncMessage({ t: 'answer', answer: { entries: [{ prefix: '', summary, ids: [asked.id] }] } }));
      await lp.read();
      await lp.write(encodeSyncMessage({ t: 'deltas', deltas: [asked, extra], last: true }));
      await lp.read().catch(() => undefined);
      await stream.close().catch(() => undefined);
    });
    await a.host.dial(multiaddr(liar.getMultiaddrs()[0]!.toString()));
    await a.sync.syncWith(liar.peerId.toString(), AbortSignal.timeout(10_000)).catch(() => undefined);
    assert.ok(a.state.replica.get(asked.id) !== undefined, 'the asked delta is merged');
    assert.is(a.state.replica.get(extra.id), undefined, 'the other is not');
    assert.is(a.sync.counters.dropped['delta-unasked'], 1);
  } finally {
    await liar.stop();
  }
});

test.run();

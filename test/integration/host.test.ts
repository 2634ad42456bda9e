import '../../node/polyfill.js';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { createServer, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateClusterKey } from '../../node/cluster-key.js';
import { createHost, type Host } from '../../node/host.js';
import { createFrameTransport, SWIM_PROTOCOL, type FrameTransport } from '../../node/frame-transport.js';
import { poll } from '../../testnet/poll.js';

const MAX_FRAME = 64 * 1024;
// A send's deadline (dial, write, close), the transport's default: a new connection on a
// loaded two-core machine has taken more than the 1.5 s this once was.
const TIMEOUT_MS = 5_000;

interface Node {
  host: Host;
  transport: FrameTransport;
  id: string;
  addrs: string[];
  inbox: { from: string; text: string }[];
}

const psk = generateClusterKey();
const nodes: Node[] = [];
const started: Host[] = [];

async function startNode(key: Uint8Array, timeoutMs = TIMEOUT_MS): Promise<Node> {
  const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), psk: key, clusterId: 'c0ffee', listen: ['/ip4/127.0.0.1/tcp/0'] });
  started.push(host);
  const inbox: Node['inbox'] = [];
  const transport = await createFrameTransport(host, {
    maxFrameBytes: MAX_FRAME,
    dialTimeoutMs: timeoutMs,
    onFrame: (from, frame) => inbox.push({ from, text: new TextDecoder().decode(frame) }),
  });
  return { host, transport, id: host.peerId.toString(), addrs: host.getMultiaddrs().map((a) => a.toString()), inbox };
}

/** Polls until `ready`; the bound is only for a hang, met early when all goes well. */
const until = (what: string, ready: () => boolean, ms = 20_000): Promise<true> => poll(what, async () => (ready() ? true : undefined), ms);

const utf8 = (s: string) => new TextEncoder().encode(s);
const node = (i: number): Node => nodes[i]!;

test.before(async () => {
  for (let i = 0; i < 3; i++) nodes.push(await startNode(psk));
});

// uvu runs after-hooks in a finally block, so every started host stops even when a test fails.
test.after(async () => {
  await Promise.allSettled(started.map((h) => h.stop()));
});

test('frames travel both ways over an open connection', async () => {
  const [a, b] = [node(0), node(1)];
  await a.host.dial(multiaddr(b.addrs[0]!));
  assert.ok(await a.transport.send(b.id, [], utf8('ping 1')));
  assert.ok(await b.transport.send(a.id, [], utf8('ack 1')));
  await until('both frames', () => b.inbox.length === 1 && a.inbox.length === 1);
  assert.equal(b.inbox[0], { from: a.id, text: 'ping 1' });
  assert.equal(a.inbox[0], { from: b.id, text: 'ack 1' });
  assert.is(a.transport.counters.sent, 1);
  assert.is(b.transport.counters.received, 1);
});

test('a frame to a peer not yet connected dials the addresses it is given', async () => {
  const [a, c] = [node(0), node(2)];
  assert.is(a.host.getConnections(c.host.peerId).length, 0);
  assert.is(await a.host.peerStore.has(c.host.peerId), false);
  assert.ok(await a.transport.send(c.id, c.addrs, utf8('hello c')));
  await until('the frame at c', () => c.inbox.length === 1);
  assert.equal(c.inbox[0], { from: a.id, text: 'hello c' });
  assert.ok(a.host.getConnections(c.host.peerId).length > 0);
});

test('a send stuck dialling a silent address does not hold up other sends', async () => {
  const [a, b] = [node(0), node(1)];
  const sockets: Socket[] = [];
  const blackHole = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
  try {
    const port = (blackHole.address() as { port: number }).port;
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString();
    const failuresBefore = a.transport.counters.sendFailures;
    let stuckEnded = false;
    const stuck = a.transport.send(stranger, [`/ip4/127.0.0.1/tcp/${port}`], utf8('into the void')).finally(() => (stuckEnded = true));
    assert.ok(await a.transport.send(b.id, [], utf8('ping 2')));
    await until('ping 2 at b', () => b.inbox.some((m) => m.text === 'ping 2'));
    assert.not.ok(stuckEnded, 'the second send waited for the first');
    assert.is(await stuck, false);
    assert.is(a.transport.counters.sendFailures, failuresBefore + 1);
  } finally {
    for (const s of sockets) s.destroy();
    blackHole.close();
  }
});

test('oversized frames are dropped and counted on both ends; a truncated stream is counted as malformed', async () => {
  const [a, b] = [node(0), node(1)];
  assert.is(await a.transport.send(b.id, [], new Uint8Array(MAX_FRAME + 1)), false);
  assert.is(a.transport.counters.droppedOversized, 1);

  const inboxBefore = b.inbox.length;
  const huge = await a.host.dialProtocol(b.host.peerId, SWIM_PROTOCOL);
  const write = lpStream(huge)
    .write(new Uint8Array(8 * MAX_FRAME))
    .then(
      () => huge.close(),
      () => undefined,
    );
  await until('the oversized drop at b', () => b.transport.counters.droppedOversized === 1);
  await write.catch(() => undefined);
  await until('the oversized stream reset', () => huge.status !== 'open');

  const truncated = await a.host.dialProtocol(b.host.peerId, SWIM_PROTOCOL);
  truncated.send(Uint8Array.of(100, 1, 2, 3));
  await truncated.close();
  await until('the truncated drop at b', () => b.transport.counters.droppedMalformed === 1);

  assert.is(b.inbox.length, inboxBefore);
  assert.ok(await a.transport.send(b.id, [], utf8('still fine')), 'the connection survives a reset stream');
  await until('a good frame after the bad ones', () => b.inbox.some((m) => m.text === 'still fine'));
});

test('streams of their own read at once are bounded, two a peer and eight in all: past them one is reset unread and counted, and the node goes on', async () => {
  // A receiver that waits a minute for a stream's frame, so the stalls below outlast any slowness here.
  const b = await startNode(psk, 60_000);
  const senders = [node(0), node(1), node(2), await startNode(psk), await startNode(psk)];
  for (const sender of senders) await sender.host.dial(multiaddr(b.addrs[0] as string));
  // Each begins a frame of 1,000 bytes and stops there.
  const stalled: Stream[] = [];
  const stall = async (from: Node) => {
    const stream = await from.host.dialProtocol(b.host.peerId, SWIM_PROTOCOL);
    try {
      stream.send(Uint8Array.of(0xe8, 0x07, 1, 2, 3));
    } catch {
      // Reset before it was written to.
    }
    stalled.push(stream);
  };
  const [first, ...others] = senders as [Node, ...Node[]];
  for (let i = 0; i < 3; i++) await stall(first);
  await until("the first peer's third reset unread", () => b.transport.counters.droppedBusy === 1, 30_000);
  for (const sender of others.slice(0, 3)) for (let i = 0; i < 2; i++) await stall(sender);
  await stall(others[3] as Node);
  await until('a ninth in all reset unread', () => b.transport.counters.droppedBusy === 2, 30_000);
  for (const stream of stalled) stream.abort(new Error('done'));
  // Once the stalled ones are gone, a frame on a stream of its own is read again.
  const arrived = () => b.inbox.some((m) => m.text === 'alone, after the stalls');
  for (const deadline = Date.now() + 30_000; !arrived(); ) {
    assert.ok(Date.now() < deadline, 'a frame on a stream of its own after the stalls');
    const alone = await first.host.dialProtocol(b.host.peerId, SWIM_PROTOCOL);
    await lpStream(alone)
      .write(utf8('alone, after the stalls'))
      .then(() => alone.close())
      .catch(() => undefined);
    await until('it arrives', arrived, 1_000).catch(() => undefined);
  }
});

test('a host with a different cluster key cannot connect', async () => {
  const [a] = [node(0)];
  const outsider = await startNode(generateClusterKey());
  const error = await outsider.host.dial(multiaddr(a.addrs[0]!), { signal: AbortSignal.timeout(TIMEOUT_MS) }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.ok(error, 'the dial succeeded');
  assert.is(await a.transport.send(outsider.id, outsider.addrs, utf8('secret')), false);
  assert.is(outsider.inbox.length, 0);
  assert.is(a.host.getConnections(outsider.host.peerId).length, 0);
});

const sharedStreams = (from: Node, to: Node): number =>
  from.host
    .getConnections(to.host.peerId)
    .flatMap((c) => c.streams)
    .filter((st) => st.protocol === `${SWIM_PROTOCOL}/shared` && st.direction === 'outbound').length;

test('frames to one peer go in order on one stream, and on a new one after the connection drops', async () => {
  const [a, b] = [node(0), node(1)];
  const before = b.inbox.length;
  const texts = Array.from({ length: 20 }, (_, i) => `burst ${i}`);
  const sent = await Promise.all(texts.map((t) => a.transport.send(b.id, b.addrs, utf8(t))));
  assert.ok(sent.every(Boolean));
  await until('the burst at b', () => b.inbox.length === before + texts.length);
  assert.equal(
    b.inbox.slice(before).map((m) => m.text),
    texts,
  );
  assert.is(sharedStreams(a, b), 1, 'one stream carried them all');

  await a.host.hangUp(b.host.peerId);
  assert.ok(await a.transport.send(b.id, b.addrs, utf8('after the drop')));
  await until('the frame after the drop', () => b.inbox.some((m) => m.text === 'after the drop'));
  assert.is(sharedStreams(a, b), 1);
});

test('a peer that reads one frame a stream (the version before) still gets every frame', async () => {
  const [a] = [node(0)];
  const old = await createHost({ privateKey: await generateKeyPair('Ed25519'), psk, clusterId: 'c0ffee', listen: ['/ip4/127.0.0.1/tcp/0'] });
  started.push(old);
  const got: string[] = [];
  // The old receiver: one frame, then close.
  await old.handle(SWIM_PROTOCOL, async (stream) => {
    got.push(new TextDecoder().decode((await lpStream(stream).read()).subarray()));
    await stream.close();
  });
  const texts = ['old 1', 'old 2', 'old 3'];
  for (const t of texts) assert.ok(await a.transport.send(old.peerId.toString(), old.getMultiaddrs().map(String), utf8(t)));
  await until('three frames at the old peer', () => got.length === 3);
  assert.equal(got, texts);
});

test.run();

import type { ConnectionProtector, MessageStream, MultiaddrConnection } from '@libp2p/interface';
import { preSharedKey } from '@libp2p/pnet';
import { multiaddrConnectionPair } from '@libp2p/utils';
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clusterKeyFromToken, clusterKeyToToken, generateClusterKey, ClusterKeyError } from '../../../node/cluster-key.js';
import { decodeSwarmKey, privateNetwork } from '../../../node/private-network.js';

const swarmKey = generateClusterKey();
const ours = (key = swarmKey): ConnectionProtector => privateNetwork(key)();
const pnets = (key = swarmKey): ConnectionProtector => preSharedKey({ psk: key })();

/** Everything a stream delivers from now on, joined. */
function collect(stream: MessageStream): () => Buffer {
  const parts: Buffer[] = [];
  stream.addEventListener('message', ({ data }) => parts.push(Buffer.from(data instanceof Uint8Array ? data : data.subarray())));
  return () => Buffer.concat(parts);
}

async function until(what: string, ready: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** What a promise rejects with, or undefined; handled at once, so a rejection is never unhandled. */
const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (err: unknown) => err,
  );

async function protectedPair(dialer: ConnectionProtector, listener: ConnectionProtector): Promise<[MultiaddrConnection, MultiaddrConnection]> {
  const [outbound, inbound] = multiaddrConnectionPair();
  const [a, b] = await Promise.all([dialer.protect(outbound), listener.protect(inbound)]);
  return [a as MultiaddrConnection, b as MultiaddrConnection];
}

/** Sends data from one end in writes of random sizes and checks the other end gets it. */
async function sendInPieces(from: MultiaddrConnection, to: MultiaddrConnection, data: Buffer): Promise<void> {
  const received = collect(to);
  for (let offset = 0; offset < data.length; ) {
    const end = Math.min(data.length, offset + 1 + Math.floor(Math.random() * 5_000));
    if (!from.send(data.subarray(offset, end))) await from.onDrain();
    offset = end;
  }
  await until(`${data.length} bytes`, () => received().length >= data.length);
  assert.ok(received().equals(data), 'the bytes arrived changed');
}

test('the key inside a cluster key is its 32 bytes, also after a trip through a join token', () => {
  const key = decodeSwarmKey(swarmKey);
  assert.is(key.length, 32);
  assert.is(Buffer.from(key).toString('base64url'), clusterKeyToToken(swarmKey));
  assert.equal(decodeSwarmKey(clusterKeyFromToken(clusterKeyToToken(swarmKey))), key);
  assert.equal(decodeSwarmKey(new TextEncoder().encode(new TextDecoder().decode(swarmKey).replaceAll('\n', '\r\n'))), key);
});

test('a malformed key is refused when the protector is made, not at the first connection', () => {
  const text = new TextDecoder().decode(swarmKey);
  for (const bad of [text.replace('/base16/', '/base64/'), text.slice(0, -2), text.replace(/.$/, 'g'), 'not a key']) {
    assert.throws(
      () => privateNetwork(new TextEncoder().encode(bad)),
      (err: unknown) => err instanceof ClusterKeyError,
    );
  }
});

test('bytes written in random pieces arrive intact both ways', async () => {
  const [a, b] = await protectedPair(ours(), ours());
  await sendInPieces(a, b, randomBytes(300_000));
  await sendInPieces(b, a, randomBytes(300_000));
});

test('what goes over the wire is not what was written', async () => {
  const [outbound, inbound] = multiaddrConnectionPair();
  // The mock pair delivers as it sends: the listener's handshake must be reading before
  // this collector, or the collector alone would see the dialer's nonce.
  const listening = ours().protect(inbound);
  const wire = collect(inbound);
  const [a] = await Promise.all([ours().protect(outbound), listening]);
  const message = Buffer.alloc(1_000, 'secret ');
  a.send(message);
  await until('the bytes on the wire', () => wire().length >= 24 + message.length);
  assert.not.ok(wire().includes('secret'));
});

test("it speaks @libp2p/pnet's protocol: either end may be either", async () => {
  for (const [dialer, listener] of [
    [ours(), pnets()],
    [pnets(), ours()],
  ] as const) {
    const [a, b] = await protectedPair(dialer, listener);
    // Below 640 KB: pnet's own cipher fails on larger messages.
    await sendInPieces(a, b, randomBytes(200_000));
    await sendInPieces(b, a, randomBytes(200_000));
  }
});

test('peers with different keys get garbage from each other', async () => {
  const [a, b] = await protectedPair(ours(), ours(generateClusterKey()));
  const received = collect(b);
  const message = randomBytes(10_000);
  a.send(message);
  await until('the bytes', () => received().length >= message.length);
  assert.not.ok(received().equals(message));
});

test('a peer that closes inside the nonce fails only that connection', async () => {
  const [outbound, inbound] = multiaddrConnectionPair();
  const outcome = failure(ours().protect(inbound));
  outbound.send(randomBytes(10));
  await outbound.close();
  assert.instance(await outcome, Error);
  assert.ok(inbound.status !== 'open', `the connection is ${inbound.status}`);
});

test('a peer that never sends its nonce is dropped when the deadline passes', async () => {
  const [, inbound] = multiaddrConnectionPair();
  // A timer of our own: AbortSignal.timeout's would not keep the test process alive.
  const deadline = new AbortController();
  setTimeout(() => deadline.abort(new Error('deadline')), 50);
  assert.instance(await failure(ours().protect(inbound, { signal: deadline.signal })), Error);
  assert.is(inbound.status, 'aborted');
});

test('closing a protected connection closes the transport once the written bytes are out', async () => {
  const [a, b] = await protectedPair(ours(), ours());
  const received = collect(b);
  const message = randomBytes(50_000);
  a.send(message);
  await a.close();
  await until('the close at the other end', () => b.status === 'closed');
  assert.ok(received().equals(message));
});

test('a reset at one end reaches the other', async () => {
  const [a, b] = await protectedPair(ours(), ours());
  a.abort(new Error('going away'));
  await until('the reset at the other end', () => b.status !== 'open');
  assert.is(b.status, 'reset');
});

test.run();

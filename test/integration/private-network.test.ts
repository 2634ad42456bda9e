import { generateKeyPair } from '@libp2p/crypto/keys';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import { preSharedKey } from '@libp2p/pnet';
import type { Multiaddr } from '@multiformats/multiaddr';
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newCluster } from '../../node/cluster.js';
import { createHost, loopbackTrust, type Host } from '../../node/host.js';
import { bareHost, chunksOf, DIGEST_PROTOCOL, ECHO_PROTOCOL, exchange, readAll, serveTestProtocols, sha256, writeAll } from './private-network-hosts.js';
import { pino } from 'pino';
import { guardStreamRaces } from '../../node/stream-race-guard.js';
import { poll } from '../../testnet/poll.js';

// These hosts live in the test's process, as a node's live in `shoal start`'s: under
// load yamux can raise a closed-stream error from a microtask no caller can catch
// (js-libp2p #3415), which the node survives by this guard and so must the test.
guardStreamRaces(pino({ level: 'silent' }));

const cluster = newCluster([]);
const started: Libp2p[] = [];
let a: Host;
let b: Host;

async function startHost(psk = cluster.psk): Promise<Host> {
  const host = await createHost({ privateKey: await generateKeyPair('Ed25519'), psk, clusterId: cluster.id, listen: ['/ip4/127.0.0.1/tcp/0'], ...loopbackTrust });
  started.push(host);
  await serveTestProtocols(host);
  return host;
}

const address = (host: Libp2p): Multiaddr => host.getMultiaddrs()[0]!;

/**
 * A stream on a new connection: a dial would otherwise reuse an open connection to the
 * peer, even one the other side has just closed. (Dials to one peer still pending at
 * once share a connection all the same.)
 */
async function openStream(from: Libp2p, to: Libp2p, protocol: string): Promise<{ connection: Connection; stream: Stream }> {
  const signal = AbortSignal.timeout(10_000);
  const connection = await from.dial(address(to), { signal, force: true });
  return { connection, stream: await connection.newStream(protocol, { signal }) };
}

/** Longer than any echo takes on a loaded machine: only a stuck one reaches it. */
const ECHO_DEADLINE_MS = 60_000;

/**
 * One connection: an echo of message on a stream, then the connection closes. One that
 * is stuck fails the test, naming its step, rather than hang the suite.
 */
async function echoOnce(from: Libp2p, to: Libp2p, message: Uint8Array, writeBytes = message.length, protocol = ECHO_PROTOCOL): Promise<Buffer> {
  let step = 'dial';
  let connection: Connection | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`an echo was stuck in its ${step} step for ${ECHO_DEADLINE_MS / 1000} s`);
      connection?.abort(error);
      reject(error);
    }, ECHO_DEADLINE_MS);
  });
  const echo = async (): Promise<Buffer> => {
    const opened = await openStream(from, to, protocol);
    connection = opened.connection;
    step = 'write and read';
    const [, echoed] = await Promise.all([writeAll(opened.stream, message, writeBytes), readAll(opened.stream)]);
    step = 'close';
    await connection.close();
    return echoed;
  };
  try {
    return await Promise.race([echo(), stuck]);
  } catch (err) {
    connection?.abort(err instanceof Error ? err : new Error(String(err)));
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

test.before(async () => {
  a = await startHost();
  b = await startHost();
});

// uvu runs after-hooks in a finally block, so every started host stops even when a test fails.
test.after(async () => {
  await Promise.allSettled(started.map((h) => h.stop()));
});

test('a 20 MB message on one stream arrives intact, and both hosts carry on', async () => {
  const message = randomBytes(20 * 1024 * 1024);
  const { stream } = await openStream(a, b, DIGEST_PROTOCOL);
  // One write: while the socket is full it reaches the protector in calls of several MB,
  // far past the ~640 KB at which pnet's cipher starts growing its shared memory.
  assert.is(await exchange(stream, message, message.length), `${message.length} ${sha256(message)}`);
  assert.is((await echoOnce(b, a, Buffer.from('still here'))).toString(), 'still here');
});

/**
 * Heap and external bytes still reachable after a full collection. Twice, a moment
 * apart: V8 frees the backing stores of dead buffers on another thread after a
 * collection, and until then `external` still counts them (read at once after one
 * collection, this moved by -110 to +21 MB between runs of the same code).
 */
async function liveBytes(): Promise<number> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  await new Promise((resolve) => setTimeout(resolve, 200));
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

test('400 connections opened and closed leave the host connecting, its memory bounded', async () => {
  const cycles = 400;
  const message = Buffer.from('ping');
  // One peer per worker: concurrent dials to one peer share a connection even with
  // force, and one worker would close another's.
  const peers = [b, await startHost(), await startHost(), await startHost()];
  // Warm up first, so the baseline already holds what the first connections allocate once.
  for (const peer of peers) for (let i = 0; i < 20; i++) await echoOnce(a, peer, message);
  const connections = (): number => [a, ...peers].reduce((sum, host) => sum + host.getConnections().length, 0);
  // The baseline without the earlier tests' connections (the 20 MB message's among them),
  // which would otherwise be let go during the churn and hide what it keeps.
  for (const host of [a, ...peers]) await Promise.all(host.getConnections().map((c) => c.close()));
  await poll('the earlier connections closed', async () => (connections() === 0 ? true : undefined), 20_000);
  const before = await liveBytes();
  const rssBefore = process.memoryUsage().rss;
  let opened = 0;
  const worker = async (peer: Host): Promise<void> => {
    for (; opened < cycles; opened++) assert.is((await echoOnce(a, peer, message)).toString(), 'ping');
  };
  await Promise.all(peers.map(worker));
  // A closed connection's far end and its muxer let go of their buffers a moment later
  // (on a loaded machine, seconds): measured once the hosts hold no more connections
  // than before, else what is still closing counts as a leak (21-25 MB here, gone 5 s on).
  // Not asserted: the memory bound below is the check, and it fails on what never closes.
  await poll('the churned connections closed', async () => (connections() === 0 ? true : undefined), 20_000).catch(() => undefined);
  // RSS also holds what the allocator keeps after a busy minute, more so on a loaded
  // machine; what a leak would grow is the heap and external memory still reachable
  // after a full collection.
  const grownMb = ((await liveBytes()) - before) / 2 ** 20;
  console.log(`    ${opened} connections: live heap and external memory grew ${grownMb.toFixed(1)} MB, RSS ${((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(1)} MB`);
  // A leak of 16 KB or more a connection fails. Each connection costs about 60 ms of
  // CPU (two handshakes): 1,000 of them took a minute of the suite, with a baseline too
  // noisy to show a leak (above); with the collection settled, the same code measured
  // -4.2 to +0.6 MB over 400 in nine runs, alone and in full runs.
  const boundMb = (cycles * 16) / 1024;
  assert.ok(grownMb < boundMb, `live memory grew ${grownMb.toFixed(1)} MB over ${opened} connections (bound ${boundMb} MB)`);
  assert.is((await echoOnce(b, a, Buffer.from('after'))).toString(), 'after');
});

test('a handler that starts reading only after the dialer has sent and closed still reads to the end', async () => {
  // The race that hung this suite in CI: on a fast machine the echo's bytes and the
  // dialer's close arrived before the handler began its loop. Here the handler waits for
  // the close on purpose, every time.
  const LATE_ECHO = '/shoal-test/late-echo/1.0.0';
  await b.handle(LATE_ECHO, async (stream) => {
    if (stream.remoteWriteStatus === 'writable') await new Promise((resolve) => stream.addEventListener('remoteCloseWrite', resolve, { once: true }));
    for await (const chunk of chunksOf(stream)) stream.send(chunk);
    await stream.close();
  });
  try {
    assert.is((await echoOnce(a, b, Buffer.from('late'), 4, LATE_ECHO)).toString(), 'late');
  } finally {
    await b.unhandle(LATE_ECHO);
  }
});

test('a host on @libp2p/pnet and a host on ours, with the same key, talk both ways', async () => {
  const legacy = await bareHost(preSharedKey({ psk: cluster.psk }));
  started.push(legacy);
  // Each side dials once: the dialer speaks first in the protocols above the protector.
  assert.is((await echoOnce(legacy, a, Buffer.from('from pnet'))).toString(), 'from pnet');
  assert.is((await echoOnce(a, legacy, Buffer.from('from ours'))).toString(), 'from ours');
  // And more than a few bytes, in both directions of one stream: 512 KB, below the size
  // where pnet's own cipher fails.
  const message = randomBytes(512 * 1024);
  assert.ok((await echoOnce(legacy, a, message, 16 * 1024)).equals(message), 'the echo came back changed');
});

test('a host with another key cannot connect, and neither host goes down', async () => {
  const otherKey = newCluster([]).psk;
  const outsider = await startHost(otherKey);
  for (const [from, to] of [
    [outsider, a],
    [a, outsider],
  ] as const) {
    const failure = await from.dial(address(to), { signal: AbortSignal.timeout(3_000) }).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.instance(failure, Error);
  }
  assert.is(a.getConnections(outsider.peerId).length, 0);
  assert.is((await echoOnce(a, b, Buffer.from('inside'))).toString(), 'inside');
  const outsidersPeer = await startHost(otherKey);
  assert.is((await echoOnce(outsider, outsidersPeer, Buffer.from('outside'))).toString(), 'outside');
});

test.run();

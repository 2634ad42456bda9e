import { generateKeyPair } from '@libp2p/crypto/keys';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeContentHeader, encodeContentRequest, MAX_CONTENT_MESSAGE_BYTES } from '../../protocol/images/transfer-codec.js';
import { Bandwidth } from '../../node/content/bandwidth.js';
import type { ContentStore, GrowingFile, ServedFile } from '../../node/content/content-store.js';
import { readPaced } from '../../node/content/paced-stream.js';
import { CONTENT_PROTOCOL, fetchContent, ProviderRefusedError, serveContent, type TransferCounters } from '../../node/content/transfer.js';
import { generateClusterKey } from '../../node/cluster-key.js';
import { createHost, loopbackTrust, type Host } from '../../node/host.js';
import { spoolGrowing } from '../../node/images/spool-file.js';

/**
 * /shoal/content/1.0.0 between two real hosts (pnet, noise, yamux): whole files, files
 * served while still being written, and the pace floor that ends a receiver too slow to
 * keep the provider's one serving slot, but never a sender held back by its own cap.
 */
const ID = `sha256:${'ab'.repeat(32)}`;
const dir = mkdtempSync(join(tmpdir(), 'shoal-content-transfer-'));
const psk = generateClusterKey();
// A floor a test can cross in seconds: 256 KiB/s over 1 s windows.
const paceFloor = { minBytesPerSecond: 256 * 1024, windowMs: 1_000 };
const hosts: Host[] = [];
let serving: Host;
let asking: Host;
let served: ServedFile | GrowingFile | undefined;
let counters: TransferCounters;
let uplink = new Bandwidth(undefined);
let stopServing: () => Promise<void> = async () => undefined;

const store: ContentStore = {
  kind: 'image',
  list: async () => [ID],
  has: async () => true,
  serve: async () => served,
  accept: async () => undefined,
};

async function serveWith(bandwidth: Bandwidth): Promise<void> {
  await stopServing();
  uplink = bandwidth;
  const server = await serveContent(serving, { stores: new Map([['image', store]]), bandwidth: uplink, admitted: () => true, log: pino({ level: 'silent' }), paceFloor });
  counters = server.counters;
  stopServing = server.stop;
}

function fileOf(name: string, bytes: number): { path: string; data: Buffer } {
  const data = randomBytes(bytes);
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, data };
}

const dial = (protocol: string, signal: AbortSignal) => asking.dialProtocol(serving.peerId, protocol, { signal });

async function fetchTo(name: string, bandwidth = new Bandwidth(undefined)) {
  const path = join(dir, name);
  const progress: (number | undefined)[] = [];
  const result = await fetchContent(dial, { kind: 'image', id: ID, path, onProgress: (_, size) => progress.push(size) }, bandwidth, AbortSignal.timeout(60_000));
  return { ...result, bytes: readFileSync(path), progress };
}

test.before(async () => {
  for (let i = 0; i < 2; i++)
    hosts.push(await createHost({ privateKey: await generateKeyPair('Ed25519'), psk, clusterId: 'c0ffee', listen: ['/ip4/127.0.0.1/tcp/0'], ...loopbackTrust }));
  [serving, asking] = hosts as [Host, Host];
  await serveWith(new Bandwidth(undefined));
  await asking.dial(multiaddr(serving.getMultiaddrs()[0]?.toString() ?? ''));
});

test.after(async () => {
  await stopServing();
  await Promise.allSettled(hosts.map((h) => h.stop()));
  rmSync(dir, { recursive: true, force: true });
});

test('a whole file arrives as it is, with its size in the header', async () => {
  const file = fileOf('whole', 3 * 1024 * 1024 + 17);
  served = { path: file.path, sizeBytes: file.data.length };
  const got = await fetchTo('whole.part');
  assert.ok(got.bytes.equals(file.data));
  assert.is(got.sizeBytes, file.data.length);
  assert.ok(got.progress.every((size) => size === file.data.length));
});

/** Bytes written in `pieces` pieces `gapMs` apart: a `docker save` still running. */
async function* slowly(data: Buffer, pieces: number, gapMs: number): AsyncGenerator<Uint8Array> {
  const step = Math.ceil(data.length / pieces);
  for (let at = 0; at < data.length; at += step) {
    await new Promise((resolve) => setTimeout(resolve, gapMs));
    yield data.subarray(at, at + step);
  }
}

test('a file still being written is served as it grows, and its slow writing is not held against the receiver', async () => {
  const data = randomBytes(512 * 1024);
  // 32 KiB every 250 ms: 128 KiB/s, half the floor, for 4 s. The wait is the sender's, not the receiver's.
  served = await spoolGrowing(slowly(data, 16, 250), join(dir, 'growing.partial'), join(dir, 'growing.tar'));
  const got = await fetchTo('growing.part');
  assert.ok(got.bytes.equals(data));
  assert.is(got.sizeBytes, data.length);
  assert.is(got.progress[0], undefined, 'no size in the header');
  assert.is(got.progress.at(-1), data.length, 'the size once all came');
  assert.is(counters.dropped['too-slow'], undefined);
  assert.equal(await (served as GrowingFile).finished, { path: join(dir, 'growing.tar'), sizeBytes: data.length });
});

test('a resume of a file still being written waits for it whole, then takes the rest from its offset', async () => {
  const data = randomBytes(256 * 1024);
  served = await spoolGrowing(slowly(data, 8, 100), join(dir, 'resumed.partial'), join(dir, 'resumed.tar'));
  writeFileSync(join(dir, 'resumed.part'), data.subarray(0, 1000));
  const got = await fetchTo('resumed.part');
  assert.is(got.resumedAt, 1000);
  assert.ok(got.bytes.equals(data));
  assert.ok(
    got.progress.every((size) => size === data.length),
    'the size known from the header on',
  );
});

test('a writing that fails ends the transfer with an error, not a short file taken as whole', async () => {
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield randomBytes(64 * 1024);
    await new Promise((resolve) => setTimeout(resolve, 100));
    throw new Error('docker save failed');
  }
  served = await spoolGrowing(failing(), join(dir, 'failed.partial'), join(dir, 'failed.tar'));
  await fetchTo('failed.part').then(
    () => assert.unreachable('the transfer should have failed'),
    (e: Error) => assert.not.instance(e, ProviderRefusedError),
  );
});

test('a capped sender below the floor is not the receiver fault: the transfer completes', async () => {
  await serveWith(new Bandwidth(128 * 1024));
  const file = fileOf('capped', 448 * 1024);
  served = { path: file.path, sizeBytes: file.data.length };
  const got = await fetchTo('capped.part');
  assert.ok(got.bytes.equals(file.data));
  assert.is(counters.dropped['too-slow'], undefined);
  await serveWith(new Bandwidth(undefined));
});

test('a receiver reading below the floor is ended, counted, and turned away for a while', async () => {
  const file = fileOf('big', 48 * 1024 * 1024);
  served = { path: file.path, sizeBytes: file.data.length };
  const stream = await dial(CONTENT_PROTOCOL, AbortSignal.timeout(5_000));
  const lp = lpStream(stream, { maxDataLength: MAX_CONTENT_MESSAGE_BYTES, maxBufferSize: 32 * 1024 * 1024 });
  await lp.write(encodeContentRequest({ kind: 'image', id: ID, offset: 0 }));
  const header = decodeContentHeader((await lp.read()).subarray());
  assert.equal(header, { ok: true, value: { ok: true, sizeBytes: file.data.length } });
  // Reads 64 KiB a second: a quarter of the floor, once the muxer's window is used up.
  const startedMs = performance.now();
  let received = 0;
  const reading = readPaced(
    lp.unwrap(),
    async (_, bytes) => {
      received += bytes;
      await new Promise((resolve) => setTimeout(resolve, (bytes / (64 * 1024)) * 1000));
    },
    () => false,
    AbortSignal.timeout(60_000),
  );
  const why = await reading.then(
    () => assert.unreachable('the slow reader should have been ended'),
    (e: Error) => String(e),
  );
  const endedAfterS = (performance.now() - startedMs) / 1000;
  assert.ok(endedAfterS < 20, `ended after ${endedAfterS.toFixed(1)} s, not at a stall timeout`);
  assert.ok(received < file.data.length);
  // Said when it fails: the reader's error, and what the server counted (once the reader
  // was ended otherwise, by a closed connection, and nothing was counted).
  assert.is(counters.dropped['too-slow'], 1, `ended after ${endedAfterS.toFixed(1)} s with ${received} bytes read (${why}); dropped ${JSON.stringify(counters.dropped)}`);
  // Asking again at once: turned away, so someone else gets the slot.
  await fetchTo('big.part').then(
    () => assert.unreachable('it should be turned away'),
    (e: Error) => {
      assert.instance(e, ProviderRefusedError);
      assert.match(e.message, /busy: ended for reading below/);
    },
  );
  assert.is(counters.refused['slow-lately'], 1);
});

test.run();

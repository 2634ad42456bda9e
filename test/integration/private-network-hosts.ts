import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { ComponentLogger, ConnectionProtector, Libp2p, Stream } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { byteStream } from '@libp2p/utils';
import { createLibp2p } from 'libp2p';
import { createHash } from 'node:crypto';

/**
 * Hosts and protocols for the private-network tests and benchmark: bytes pushed through
 * one stream, and a short echo, over whichever protector a host was made with.
 */

/** Replies "<bytes> <sha256 hex>" once the dialer has closed its end. */
export const DIGEST_PROTOCOL = '/shoal-test/digest/1.0.0';
/** Replies "<bytes>" once the dialer has closed its end: no hashing on the clock of a benchmark. */
export const COUNT_PROTOCOL = '/shoal-test/count/1.0.0';
/** Sends back what it reads, until the dialer closes its end. */
export const ECHO_PROTOCOL = '/shoal-test/echo/1.0.0';

/** Stands for both @libp2p/pnet's preSharedKey(...) and privateNetwork(...). */
export type ProtectorFactory = (components: { logger: ComponentLogger }) => ConnectionProtector;

/** A host with only what a connection needs (TCP, noise, yamux) and the given protector, if any. */
export async function bareHost(protector?: ProtectorFactory): Promise<Libp2p> {
  const host = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(protector ? { connectionProtector: protector } : {}),
    connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] },
  });
  await serveTestProtocols(host);
  return host;
}

export async function serveTestProtocols(host: Pick<Libp2p, 'handle'>): Promise<void> {
  await host.handle(DIGEST_PROTOCOL, (stream) => reply(stream, (data) => `${data.length} ${sha256(data)}`));
  await host.handle(COUNT_PROTOCOL, async (stream) => {
    let bytes = 0;
    for await (const chunk of chunksOf(stream)) bytes += chunk.byteLength;
    await answer(stream, String(bytes));
  });
  await host.handle(ECHO_PROTOCOL, async (stream) => {
    for await (const chunk of chunksOf(stream)) if (!stream.send(chunk)) await stream.onDrain();
    await stream.close();
  });
}

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Writes data in pieces of writeBytes, waiting whenever the stream asks to, then closes its end. */
export async function writeAll(stream: Stream, data: Uint8Array, writeBytes: number): Promise<void> {
  for (let offset = 0; offset < data.length; offset += writeBytes) {
    if (!stream.send(data.subarray(offset, offset + writeBytes))) await stream.onDrain();
  }
  await stream.close();
}

/**
 * What the remote sends, chunk by chunk, until it closes its end. Not the stream's own
 * async iterator: in @libp2p/utils 7.4.1 that one ends only on a 'remoteCloseWrite'
 * event, so a loop that starts after the remote has already sent and closed (a handler
 * that awaits first, or merely runs late) gets the buffered bytes and then waits
 * forever. byteStream asks the stream whether its remote has closed. Its buffer is
 * unbounded here: one socket read can deliver several MB before this loop runs, and the
 * tests send at most 20 MB.
 */
export async function* chunksOf(stream: Stream): AsyncGenerator<Uint8Array> {
  const bytes = byteStream(stream, { maxBufferSize: Infinity });
  for (let chunk = await bytes.read(); chunk !== null; chunk = await bytes.read()) yield chunk.subarray();
}

/** Everything the remote sends until it closes its end. */
export async function readAll(stream: Stream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunksOf(stream)) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** Writes data, closes, and returns the remote's answer as text. */
export async function exchange(stream: Stream, data: Uint8Array, writeBytes: number): Promise<string> {
  const [, answer] = await Promise.all([writeAll(stream, data, writeBytes), readAll(stream)]);
  return answer.toString();
}

async function reply(stream: Stream, answerFor: (data: Buffer) => string): Promise<void> {
  await answer(stream, answerFor(await readAll(stream)));
}

async function answer(stream: Stream, text: string): Promise<void> {
  stream.send(new TextEncoder().encode(text));
  await stream.close();
}

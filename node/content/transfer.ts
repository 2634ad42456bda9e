import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { open, stat, truncate } from 'node:fs/promises';
import type { Logger } from 'pino';
import {
  decodeContentHeader,
  decodeContentRequest,
  encodeContentHeader,
  encodeContentRequest,
  MAX_CONTENT_MESSAGE_BYTES,
  type ContentRequest,
} from '../../protocol/images/transfer-codec.js';
import { countDrop, readFrame } from '../read-frame.js';
import { readPaced, sendPaced } from './paced-stream.js';
import type { Bandwidth } from './bandwidth.js';
import type { ContentKind, ContentStore } from './content-store.js';

export const CONTENT_PROTOCOL = '/shoal/content/1.0.0';
/**
 * Transfers this node serves at once. One: a second receiver is told `busy` and goes to
 * another holder, so a fleet fans out like a tree (each node that has the piece serves
 * the next), and a weak uplink is not split twenty ways.
 */
const MAX_SERVING = 1;
/** A request must arrive this soon after the stream opens. */
const REQUEST_TIMEOUT_MS = 10_000;
/** A transfer that moves nothing for this long is dropped (and resumed by the receiver). */
export const STALL_TIMEOUT_MS = 30_000;
/** How long a provider may take to answer a request: saving a large image to serve it first. */
const HEADER_TIMEOUT_MS = 300_000;
/** What is read from the file and sent at once: large enough that each send costs nothing, small enough to pace by bandwidth. */
const CHUNK_BYTES = 64 * 1024;
/** Nothing larger is taken: an image of more is not one a fleet moves peer to peer. */
export const MAX_CONTENT_BYTES = 16 * 2 ** 30;

export interface TransferCounters {
  served: number;
  servedBytes: number;
  /** Bytes served by content id: which node fed the others. */
  servedBytesById: Map<string, number>;
  refused: Record<string, number>;
  dropped: Record<string, number>;
}

/** The provider had nothing to give (not held, busy, refused): try another. */
export class ProviderRefusedError extends Error {
  override readonly name = 'ProviderRefusedError';
}

/** Serves content to admitted nodes, a file read from an offset, within the node's bandwidth. */
export async function serveContent(
  host: Libp2p,
  options: { stores: ReadonlyMap<ContentKind, ContentStore>; bandwidth: Bandwidth; admitted: (peer: string) => boolean; log: Logger },
): Promise<{ counters: TransferCounters; stop: () => Promise<void> }> {
  const counters: TransferCounters = { served: 0, servedBytes: 0, servedBytesById: new Map(), refused: {}, dropped: {} };
  let serving = 0;
  const handle = async (stream: Stream, connection: Connection): Promise<void> => {
    // Images can hold anything a workload's author put in them: only the cluster's own nodes get them.
    if (!options.admitted(connection.remotePeer.toString())) {
      countDrop(counters.refused, 'not-admitted');
      stream.abort(new Error('refused: not an admitted node'));
      return;
    }
    const lp = lpStream(stream, { maxDataLength: MAX_CONTENT_MESSAGE_BYTES });
    const answer = async (request: ContentRequest): Promise<void> => {
      const store = options.stores.get(request.kind);
      const file = store === undefined ? undefined : await store.serve(request.id);
      if (file === undefined) return refuse('not-found', `${request.kind} ${request.id} is not held here`);
      if (request.offset > file.sizeBytes) return refuse('bad-request', `offset ${request.offset} is past the end (${file.sizeBytes} bytes)`);
      if (serving >= MAX_SERVING) return refuse('busy', `serving ${serving} transfers already`);
      serving++;
      try {
        await lp.write(encodeContentHeader({ ok: true, sizeBytes: file.sizeBytes }));
        // The bytes follow raw, unframed, at the pace the receiver reads them.
        const raw = lp.unwrap();
        await sendFile(file.path, request.offset, file.sizeBytes, async (chunk) => {
          await options.bandwidth.take(chunk.length, AbortSignal.timeout(STALL_TIMEOUT_MS));
          await sendPaced(raw, chunk, AbortSignal.timeout(STALL_TIMEOUT_MS));
          counters.servedBytes += chunk.length;
          counters.servedBytesById.set(request.id, (counters.servedBytesById.get(request.id) ?? 0) + chunk.length);
        });
        counters.served++;
      } finally {
        serving--;
      }
    };
    const refuse = async (code: 'not-found' | 'busy' | 'bad-request', detail: string): Promise<void> => {
      countDrop(counters.refused, code);
      await lp.write(encodeContentHeader({ ok: false, code, detail }));
    };
    try {
      const request = await readFrame(lp, decodeContentRequest, counters.dropped, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
      if (!request.ok) await refuse('bad-request', `${request.error.code}: ${request.error.detail}`);
      else await answer(request.value);
      await stream.close();
    } catch (e) {
      options.log.debug({ err: e, peer: connection.remotePeer.toString() }, 'content transfer ended early');
      stream.abort(e as Error);
    }
  };
  await host.handle(CONTENT_PROTOCOL, handle, { maxInboundStreams: MAX_SERVING * 2 });
  return { counters, stop: () => host.unhandle(CONTENT_PROTOCOL) };
}

async function sendFile(path: string, from: number, size: number, send: (chunk: Uint8Array) => Promise<void>): Promise<void> {
  const file = await open(path, 'r');
  try {
    for (let at = from; at < size; ) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size - at));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, at);
      // The file shrank under us: the receiver's check will refuse what it got.
      if (bytesRead === 0) throw new Error(`${path} ended at ${at} of ${size} bytes`);
      await send(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
  } finally {
    await file.close();
  }
}

export interface Download {
  kind: ContentKind;
  id: string;
  /** The file the bytes go to; bytes already there are not asked for again (a resume). */
  path: string;
  onProgress: (receivedBytes: number, sizeBytes: number) => void;
}

/**
 * Receives `download` from `provider` into its file, from where the file ends. Throws
 * ProviderRefusedError where the provider answers with no content, anything else where
 * the stream fails or stalls (the bytes so far stay, for a resume).
 */
export async function fetchContent(
  dial: (protocol: string, signal: AbortSignal) => Promise<Stream>,
  download: Download,
  bandwidth: Bandwidth,
  signal: AbortSignal,
): Promise<{ sizeBytes: number; resumedAt: number }> {
  const have = await stat(download.path).then(
    (s) => s.size,
    () => 0,
  );
  const opening = AbortSignal.any([signal, AbortSignal.timeout(STALL_TIMEOUT_MS)]);
  const stream = await dial(CONTENT_PROTOCOL, opening);
  let stall: StallTimer | undefined;
  try {
    // The bytes may follow the header at once: room for what arrives before the reader takes over (readPaced).
    const lp = lpStream(stream, { maxDataLength: MAX_CONTENT_MESSAGE_BYTES, maxBufferSize: 32 * 1024 * 1024 });
    await lp.write(encodeContentRequest({ kind: download.kind, id: download.id, offset: have }), { signal: opening });
    // The provider may first have to write the archive out (docker save of a large image): the header may take a while.
    const header = await readFrame(lp, decodeContentHeader, {}, AbortSignal.any([signal, AbortSignal.timeout(HEADER_TIMEOUT_MS)]));
    if (!header.ok) throw new Error(`bad header (${header.error.code}): ${header.error.detail}`);
    if (!header.value.ok) throw new ProviderRefusedError(`${header.value.code}: ${header.value.detail}`);
    const { sizeBytes } = header.value;
    if (sizeBytes > MAX_CONTENT_BYTES) throw new ProviderRefusedError(`offers ${sizeBytes} bytes, more than the ${MAX_CONTENT_BYTES} taken`);
    const timer = new StallTimer(STALL_TIMEOUT_MS, signal);
    stall = timer;
    const file = await openForAppend(download.path, have);
    let received = have;
    try {
      download.onProgress(received, sizeBytes);
      await readPaced(
        lp.unwrap(),
        async (chunk) => {
          timer.reset();
          if (received + chunk.length > sizeBytes) throw new Error(`sent more than the ${sizeBytes} bytes it announced`);
          await file.write(chunk);
          received += chunk.length;
          await bandwidth.take(chunk.length, signal);
          download.onProgress(received, sizeBytes);
        },
        () => received >= sizeBytes,
        timer.signal,
      );
      if (received < sizeBytes) throw new Error(`the stream ended after ${received} of ${sizeBytes} bytes`);
    } finally {
      await file.close();
    }
    await stream.close().catch(() => undefined);
    return { sizeBytes, resumedAt: have };
  } catch (e) {
    stream.abort(e as Error);
    throw e;
  } finally {
    stall?.clear();
  }
}

/** The part file, opened to append at `have` bytes (a file longer than recorded is cut back). */
async function openForAppend(path: string, have: number) {
  if (have > 0) await truncate(path, have);
  return open(path, have > 0 ? 'a' : 'w');
}

/** An abort signal that fires when nothing moved for `ms`, or when the caller's does. */
class StallTimer {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  readonly signal: AbortSignal;

  constructor(
    private readonly ms: number,
    outer: AbortSignal,
  ) {
    this.signal = AbortSignal.any([this.controller.signal, outer]);
    this.timer = this.arm();
  }

  reset(): void {
    clearTimeout(this.timer);
    this.timer = this.arm();
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  private arm(): NodeJS.Timeout {
    return setTimeout(() => this.controller.abort(new Error(`the transfer stalled: nothing for ${this.ms / 1000} s`)), this.ms);
  }
}

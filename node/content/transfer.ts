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
  type ContentRefusal,
  type ContentRequest,
} from '../../protocol/images/transfer-codec.js';
import { countDrop, readFrame } from '../read-frame.js';
import { DEFAULT_PACE_FLOOR, type PaceFloor, type PaceVerdict, SlowReceivers, TransferPace } from '../../protocol/images/transfer-pace.js';
import { readPaced, sendPaced } from './paced-stream.js';
import type { Bandwidth } from './bandwidth.js';
import { ContentMismatchError, type ContentKind, type ContentStore, type GrowingFile, type ServedFile } from './content-store.js';

export const CONTENT_PROTOCOL = '/shoal/content/1.0.0';
/**
 * Transfers this node serves at once. One: a second receiver is told `busy` and goes to
 * another holder, so a fleet fans out like a tree (each node that has the piece serves
 * the next), and a weak uplink is not split twenty ways. A receiver slower than the pace
 * floor (protocol/images/transfer-pace.ts) is ended, so it cannot keep the slot.
 */
const MAX_SERVING = 1;
/** A request must arrive this soon after the stream opens. */
const REQUEST_TIMEOUT_MS = 10_000;
/** A transfer that moves nothing for this long is dropped (and resumed by the receiver). */
export const STALL_TIMEOUT_MS = 30_000;
/** How long a provider may take to answer a request: a resume waits for the archive to be written out whole. */
const HEADER_TIMEOUT_MS = 300_000;
/** What is read from the file and sent at once: large enough that each send costs nothing, small enough to pace by bandwidth. */
const CHUNK_BYTES = 64 * 1024;
/** Nothing larger is taken: an image of more is not one a fleet moves peer to peer. */
export const MAX_CONTENT_BYTES = 16 * 2 ** 30;
/** How often a transfer's pace is judged: the floor's window is what counts, this is only how soon past it. */
const PACE_CHECK_MS = 1_000;
/** A receiver ended for its pace is turned away this long: the others asking get the slot first. */
const SLOW_PENALTY_MS = 60_000;

export interface TransferCounters {
  served: number;
  servedBytes: number;
  /** Bytes served by content id: which node fed the others. */
  servedBytesById: Map<string, number>;
  /** Requests answered with no content, by reason (`slow-lately`: a receiver ended for its pace, asking again too soon). */
  refused: Record<string, number>;
  /** Requests and transfers dropped, by reason (`too-slow`: a receiver below the pace floor). */
  dropped: Record<string, number>;
}

/** The provider had nothing to give (not held, busy, refused): try another. */
export class ProviderRefusedError extends Error {
  override readonly name = 'ProviderRefusedError';
}

/** A receiver that read slower than the pace floor, ended so it does not hold the serving slot. */
export class TooSlowError extends Error {
  override readonly name = 'TooSlowError';
}

export interface ServeOptions {
  stores: ReadonlyMap<ContentKind, ContentStore>;
  bandwidth: Bandwidth;
  admitted: (peer: string) => boolean;
  log: Logger;
  /** The floor under a receiver's pace; tests set their own. */
  paceFloor?: PaceFloor;
}

/** Serves content to admitted nodes, a file read from an offset, within the node's bandwidth. */
export async function serveContent(host: Libp2p, options: ServeOptions): Promise<{ counters: TransferCounters; stop: () => Promise<void> }> {
  const counters: TransferCounters = { served: 0, servedBytes: 0, servedBytesById: new Map(), refused: {}, dropped: {} };
  const floor = options.paceFloor ?? DEFAULT_PACE_FLOOR;
  const slow = new SlowReceivers(SLOW_PENALTY_MS);
  let serving = 0;
  const handle = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer.toString();
    // Images can hold anything a workload's author put in them: only the cluster's own nodes get them.
    if (!options.admitted(peer)) {
      countDrop(counters.refused, 'not-admitted');
      stream.abort(new Error('refused: not an admitted node'));
      return;
    }
    const lp = lpStream(stream, { maxDataLength: MAX_CONTENT_MESSAGE_BYTES });
    const answer = async (request: ContentRequest): Promise<void> => {
      const store = options.stores.get(request.kind);
      const file = store === undefined ? undefined : await store.serve(request.id);
      if (file === undefined) return refuse('not-found', 'not-found', `${request.kind} ${request.id} is not held here`);
      const penalty = slow.turnedAwayUntil(peer, performance.now());
      if (penalty !== undefined) {
        const wait = Math.ceil((penalty - performance.now()) / 1000);
        return refuse('busy', 'slow-lately', `ended for reading below ${floor.minBytesPerSecond} bytes/s; serving others for ${wait} s`);
      }
      // A resume needs the bytes it began with: those of a file written out whole, not one still growing. Waited for outside the slot.
      const source = isGrowing(file) && request.offset > 0 ? await file.finished : file;
      // A config is a few kilobytes: served beside a transfer, not after it.
      const slot = request.kind !== 'config';
      if (slot && serving >= MAX_SERVING) return refuse('busy', 'busy', `serving ${serving} transfers already`);
      if (slot) serving++;
      try {
        const sizeBytes = isGrowing(source) ? undefined : source.sizeBytes;
        if (sizeBytes !== undefined && request.offset > sizeBytes) return refuse('bad-request', 'bad-request', `offset ${request.offset} is past the end (${sizeBytes} bytes)`);
        await lp.write(encodeContentHeader({ ok: true, sizeBytes }));
        // The bytes follow raw, unframed, at the pace the receiver reads them.
        const sent = await sendPacedFile(lp.unwrap(), source, request.offset, { bandwidth: options.bandwidth, floor }, (bytes) => {
          counters.servedBytes += bytes;
          counters.servedBytesById.set(request.id, (counters.servedBytesById.get(request.id) ?? 0) + bytes);
        });
        if (!sent.ok) {
          countDrop(counters.dropped, 'too-slow');
          slow.ended(peer, performance.now());
          options.log.info({ peer, id: request.id, bytesPerSecond: Math.round(sent.bytesPerSecond) }, 'ended a transfer to a receiver below the pace floor');
          throw new TooSlowError(`read ${Math.round(sent.bytesPerSecond)} bytes/s, below the floor of ${floor.minBytesPerSecond}`);
        }
        counters.served++;
      } finally {
        if (slot) serving--;
      }
    };
    const refuse = async (code: ContentRefusal, counted: string, detail: string): Promise<void> => {
      countDrop(counters.refused, counted);
      await lp.write(encodeContentHeader({ ok: false, code, detail }));
    };
    try {
      const request = await readFrame(lp, decodeContentRequest, counters.dropped, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
      if (!request.ok) await refuse('bad-request', 'bad-request', `${request.error.code}: ${request.error.detail}`);
      else await answer(request.value);
      await stream.close();
    } catch (e) {
      options.log.debug({ err: e, peer }, 'content transfer ended early');
      stream.abort(e as Error);
    }
  };
  // Served over a relay too (a NATed provider has no other way in); the relay's data limit per connection still bounds it.
  await host.handle(CONTENT_PROTOCOL, handle, { maxInboundStreams: MAX_SERVING * 2, runOnLimitedConnection: true });
  return { counters, stop: () => host.unhandle(CONTENT_PROTOCOL) };
}

const isGrowing = (file: ServedFile | GrowingFile): file is GrowingFile => 'finished' in file;

/**
 * Sends `source` from `from` to its end (a growing file: to where its writer ends it),
 * within the node's bandwidth, at the pace the receiver reads. Resolves with the verdict
 * of the pace floor where it ended the transfer; throws where the stream fails, the
 * receiver takes nothing for STALL_TIMEOUT_MS, or the file fails or shrinks.
 */
export async function sendPacedFile(
  stream: Stream,
  source: ServedFile | GrowingFile,
  from: number,
  limits: { bandwidth: Bandwidth; floor: PaceFloor },
  onSent: (bytes: number) => void,
): Promise<PaceVerdict> {
  const growing = isGrowing(source) ? source : undefined;
  const file = growing === undefined ? await open((source as ServedFile).path, 'r') : await growing.open();
  // A piece inside a larger file (a layer of a spooled archive): offsets below are the piece's.
  const base = growing === undefined ? ((source as ServedFile).offsetBytes ?? 0) : 0;
  const ending = new AbortController();
  // One timer re-armed a chunk, not a timeout signal made for each.
  const stall = new StallTimer(STALL_TIMEOUT_MS, ending.signal);
  const pace = new TransferPace(limits.floor, performance.now());
  let verdict: PaceVerdict = { ok: true };
  const judge = setInterval(() => {
    verdict = pace.verdict(performance.now());
    if (!verdict.ok) ending.abort(new TooSlowError('below the pace floor'));
  }, PACE_CHECK_MS);
  const ended = (): void => ending.abort(new Error('the stream closed'));
  stream.addEventListener('close', ended);
  // The sender's own waits, not the receiver's: they stop the receiver's clock.
  const excused = async (wait: Promise<void>): Promise<void> => {
    pace.excuseFrom(performance.now());
    try {
      await wait;
    } finally {
      pace.excuseUntil(performance.now());
    }
  };
  try {
    let sizeBytes = growing === undefined ? (source as ServedFile).sizeBytes : undefined;
    for (let at = from; ; ) {
      // Ended (the floor, a stall, the stream gone) between awaits that would not have noticed.
      stall.signal.throwIfAborted();
      const readable = sizeBytes ?? growing?.writtenBytes() ?? 0;
      if (at >= readable) {
        if (growing === undefined || sizeBytes !== undefined) break;
        await excused(growing.grown(at, stall.signal));
        // Woken with nothing new: the writing ended; its size, or its failure, is what follows.
        if (growing.writtenBytes() <= at) sizeBytes = (await growing.finished).sizeBytes;
        continue;
      }
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, readable - at));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, base + at);
      // The file shrank under us: the receiver's check will refuse what it got.
      if (bytesRead === 0) throw new Error(`the file ended at ${at} of ${readable} bytes`);
      const chunk = buffer.subarray(0, bytesRead);
      await excused(limits.bandwidth.take(chunk.length, stall.signal));
      await sendPaced(stream, chunk, stall.signal);
      stall.reset();
      pace.sent(chunk.length);
      onSent(chunk.length);
      at += bytesRead;
    }
    return { ok: true };
  } catch (e) {
    if (!verdict.ok) return verdict;
    throw e;
  } finally {
    clearInterval(judge);
    stall.clear();
    stream.removeEventListener('close', ended);
    await file.close();
  }
}

export interface Download {
  kind: ContentKind;
  id: string;
  /** The file the bytes go to; bytes already there are not asked for again (a resume). */
  path: string;
  /** `sizeBytes` undefined while the provider does not know it yet (it serves the archive as it writes it). */
  onProgress: (receivedBytes: number, sizeBytes: number | undefined) => void;
  /** Each message's bytes once written to the file, in order: a check as they arrive. Its throw ends the transfer. */
  onBytes?: (parts: readonly Uint8Array[]) => Promise<void>;
}

/**
 * Receives `download` from `provider` into its file, from where the file ends. Throws
 * ProviderRefusedError where the provider answers with no content, ContentMismatchError
 * where it offers less than the file already holds (or `onBytes` finds the bytes are
 * not the content), anything else where the stream
 * fails or stalls (the bytes so far stay, for a resume).
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
    // A resume waits for the provider to write the archive out whole (docker save of a large image): the header may take a while.
    const header = await readFrame(lp, decodeContentHeader, {}, AbortSignal.any([signal, AbortSignal.timeout(HEADER_TIMEOUT_MS)]));
    if (!header.ok) throw new Error(`bad header (${header.error.code}): ${header.error.detail}`);
    if (!header.value.ok) throw new ProviderRefusedError(`${header.value.code}: ${header.value.detail}`);
    const announced = header.value.sizeBytes;
    if (announced !== undefined && announced > MAX_CONTENT_BYTES) throw new ProviderRefusedError(`offers ${announced} bytes, more than the ${MAX_CONTENT_BYTES} taken`);
    if (announced !== undefined && announced < have) throw new ContentMismatchError(`offers ${announced} bytes, fewer than the ${have} already received from it`);
    // Without a size, the content ends where the provider ends the stream cleanly, within what is taken at most.
    const limit = announced ?? MAX_CONTENT_BYTES;
    const timer = new StallTimer(STALL_TIMEOUT_MS, signal);
    stall = timer;
    const file = await openForAppend(download.path, have);
    let received = have;
    try {
      download.onProgress(received, announced);
      await readPaced(
        lp.unwrap(),
        async (parts, bytes) => {
          timer.reset();
          if (received + bytes > limit) throw new Error(`sent more than the ${limit} bytes ${announced === undefined ? 'taken' : 'it announced'}`);
          await file.writev(parts);
          await download.onBytes?.(parts);
          received += bytes;
          await bandwidth.take(bytes, signal);
          download.onProgress(received, announced);
        },
        () => announced !== undefined && received >= announced,
        timer.signal,
      );
      if (announced !== undefined && received < announced) throw new Error(`the stream ended after ${received} of ${announced} bytes`);
      download.onProgress(received, received);
    } finally {
      await file.close();
    }
    await stream.close().catch(() => undefined);
    return { sizeBytes: received, resumedAt: have };
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
    this.timer.refresh();
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  private arm(): NodeJS.Timeout {
    return setTimeout(() => this.controller.abort(new Error(`the transfer stalled: nothing for ${this.ms / 1000} s`)), this.ms);
  }
}

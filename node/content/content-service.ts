import type { KadDHT } from '@libp2p/kad-dht';
import type { Libp2p } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { randomInt } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.js';
import type { ImageTransferJson } from '../../protocol/api/images.js';
import { createRandom } from '../../base/random.js';
import { chooseProvider } from '../../protocol/images/provider-choice.js';
import { dialMember } from '../dial-member.js';
import type { EventLog } from '../event-log.js';
import type { SwimService } from '../swim/service.js';
import type { Bandwidth } from './bandwidth.js';
import { contentKey } from './content-key.js';
import { ContentMismatchError, type ContentKind, type ContentReceiver, type ContentStore } from './content-store.js';
import { fetchContent, ProviderRefusedError, serveContent, type TransferCounters } from './transfer.js';

/** How often the node compares what it holds with what it announced. */
const ANNOUNCE_INTERVAL_MS = 30_000;
/** A provider lookup gathers for at most this long; a DHT of a few nodes answers in milliseconds. */
const FIND_PROVIDERS_MS = 10_000;
/** Breaks (a dropped connection, a stall) one transfer survives, each resumed where it stopped. */
const MAX_BROKEN = 8;
/** A transfer with no provider to ask for this long gives up (a need later starts over). */
const NO_PROVIDER_MS = 120_000;
/** A provider that answered busy, or without the piece, is asked again after this. */
const REFUSED_PAUSE_MS = 3_000;
/** After a transfer gave up, a need within this long is told so rather than starting another. */
const FAILED_MEMORY_MS = 30_000;
const RETRY_PAUSE_MS = 1_000;

export interface ContentServiceOptions {
  host: Libp2p;
  dht: KadDHT;
  swim: SwimService;
  stores: readonly ContentStore[];
  /** Where part files wait for the rest of their bytes. */
  dir: string;
  bandwidth: Bandwidth;
  admitted: (peer: string) => boolean;
  /** Nodes the document says hold a piece: providers besides the DHT's, should its lookup come back empty. */
  holders: (kind: ContentKind, id: string) => readonly string[];
  /** Called once a fetched piece is stored: what the node holds changed. */
  onHeldChanged?: () => void;
  events: EventLog;
  log: Logger;
  clock: Clock;
}

/** A transfer under way, as `get images` shows it. */
export type TransferStatus = ImageTransferJson;

export type Availability = { state: 'held' } | { state: 'fetching'; message: string } | { state: 'failed'; message: string };

export interface ContentCounters {
  fetched: number;
  fetchedBytes: number;
  resumed: number;
  mismatches: number;
  failures: number;
  announced: number;
  withdrawn: number;
}

/**
 * Content peer to peer: announces what the node holds as DHT provider records, serves it
 * to admitted nodes, and fetches what the node needs from a provider picked at random
 * (so twenty nodes that need one image do not all pull from the first holder), checked
 * against its id before anything uses it. One transfer per piece, however many replicas
 * wait for it; a dropped one resumes where it stopped.
 */
export class ContentService {
  readonly counters: ContentCounters = { fetched: 0, fetchedBytes: 0, resumed: 0, mismatches: 0, failures: 0, announced: 0, withdrawn: 0 };
  private readonly stores: Map<ContentKind, ContentStore>;
  private readonly transfers = new Map<string, TransferStatus>();
  private readonly failed = new Map<string, { atMs: number; message: string }>();
  private readonly announced = new Map<string, { kind: ContentKind; id: string }>();
  private readonly random = createRandom(randomInt(2 ** 32));
  private readonly abort = new AbortController();
  private server: { counters: TransferCounters; stop: () => Promise<void> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private announcing: Promise<void> = Promise.resolve();

  constructor(private readonly options: ContentServiceOptions) {
    this.stores = new Map(options.stores.map((s) => [s.kind, s]));
  }

  get serving(): TransferCounters | undefined {
    return this.server?.counters;
  }

  async start(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    this.server = await serveContent(this.options.host, { stores: this.stores, bandwidth: this.options.bandwidth, admitted: this.options.admitted, log: this.options.log });
    this.announce();
    this.timer = setInterval(() => this.announce(), ANNOUNCE_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.abort.abort(new Error('the node is stopping'));
    await this.announcing;
    await this.server?.stop();
  }

  transfersInProgress(): TransferStatus[] {
    return [...this.transfers.values()].map((t) => ({ ...t }));
  }

  /** Compares held and announced now, as after a transfer, rather than at the next interval. */
  announce(): void {
    this.announcing = this.announcing.then(() => this.reannounce()).catch((e) => this.options.log.warn({ err: e }, 'announcing content failed'));
  }

  /**
   * Whether `id` is here; if not, a transfer is started (or already runs) and the caller
   * is told to wait. A transfer that gave up lately is reported as failed, so the caller
   * can fall back (a registry) or count a start failure.
   */
  async availability(kind: ContentKind, id: string): Promise<Availability> {
    const store = this.storeOf(kind);
    if (await store.has(id)) return { state: 'held' };
    const key = `${kind}/${id}`;
    const running = this.transfers.get(key);
    if (running !== undefined) return { state: 'fetching', message: describeTransfer(running) };
    const failed = this.failed.get(key);
    if (failed !== undefined && this.options.clock.nowMs() - failed.atMs < FAILED_MEMORY_MS) return { state: 'failed', message: failed.message };
    this.failed.delete(key);
    const status: TransferStatus = { kind, id, provider: undefined, receivedBytes: 0, sizeBytes: undefined, startedAtMs: this.options.clock.nowMs(), attempts: 0 };
    this.transfers.set(key, status);
    this.fetch(store, status)
      .catch((e: Error) => {
        this.counters.failures++;
        this.failed.set(key, { atMs: this.options.clock.nowMs(), message: e.message });
        this.event('content-fetch-failed', id, `${kind} ${short(id)}: ${e.message}`);
      })
      .finally(() => this.transfers.delete(key));
    return { state: 'fetching', message: describeTransfer(status) };
  }

  /**
   * The nodes that hold `id`, this one first if it does: the DHT's providers (and the
   * document's holders) among the live admitted members, looked up until `signal` ends it.
   */
  async holders(kind: ContentKind, id: string, signal: AbortSignal): Promise<string[]> {
    const here = (await this.stores.get(kind)?.has(id)) === true ? [this.options.swim.id] : [];
    return [...here, ...(await this.providers(kind, id, signal)).sort()];
  }

  /** Waits for `id` to be here, fetching it if need be (`shoal image push` on a node without it, tests). */
  async obtain(kind: ContentKind, id: string, signal: AbortSignal): Promise<void> {
    for (;;) {
      const availability = await this.availability(kind, id);
      if (availability.state === 'held') return;
      if (availability.state === 'failed') throw new Error(availability.message);
      await new Promise((resolve) => setTimeout(resolve, 250));
      signal.throwIfAborted();
    }
  }

  private storeOf(kind: ContentKind): ContentStore {
    const store = this.stores.get(kind);
    if (store === undefined) throw new Error(`this node keeps no ${kind}s`);
    return store;
  }

  private async fetch(store: ContentStore, status: TransferStatus): Promise<void> {
    const { kind, id } = status;
    const part = join(this.options.dir, `${kind}-${id.slice('sha256:'.length)}.part`);
    // Sent bytes that are not the content: not asked again for this transfer.
    const excluded = new Set<string>();
    // Answered busy or without it: not asked again until then.
    const refusedUntil = new Map<string, number>();
    let lastProvider: string | undefined;
    let lastError = 'no node announces it';
    let broken = 0;
    const giveUpAt = performance.now() + NO_PROVIDER_MS;
    this.event('content-fetching', id, `${kind} ${short(id)}: looking for providers`);
    try {
      for (;;) {
        this.abort.signal.throwIfAborted();
        const now = performance.now();
        const candidates = (await this.providers(kind, id)).filter((p) => !excluded.has(p) && (refusedUntil.get(p) ?? 0) <= now);
        // The node a dropped transfer came from first: its bytes so far are good for a resume.
        const provider =
          lastProvider !== undefined && candidates.includes(lastProvider)
            ? lastProvider
            : chooseProvider(candidates, { self: this.options.swim.id, reachable: (p) => this.reachable(p), failed: excluded, random: this.random });
        if (provider === undefined) {
          if (performance.now() > giveUpAt) throw new Error(`no provider could give it within ${NO_PROVIDER_MS / 1000} s (last: ${lastError})`);
          await pause(RETRY_PAUSE_MS, this.abort.signal);
          continue;
        }
        // Another provider's bytes need not line up with these: start over.
        if (provider !== lastProvider) await rm(part, { force: true });
        lastProvider = provider;
        status.provider = provider;
        status.attempts++;
        // A check as the bytes arrive, where the store has one: a fresh one each attempt, fed first what the part file holds.
        const receiver = store.receive?.(id);
        try {
          if (receiver !== undefined) await replay(part, receiver);
          const { sizeBytes, resumedAt } = await fetchContent(
            (protocol, signal) =>
              dialMember(this.options.host, provider, this.options.swim.member(provider)?.record.addrs ?? [], protocol, AbortSignal.any([signal, this.abort.signal])),
            {
              kind,
              id,
              path: part,
              onProgress: (received, size) => {
                status.receivedBytes = received;
                status.sizeBytes = size;
              },
              ...(receiver === undefined ? {} : { onBytes: (parts: readonly Uint8Array[]) => receiver.write(parts) }),
            },
            this.options.bandwidth,
            this.abort.signal,
          );
          if (resumedAt > 0) this.counters.resumed++;
          await (receiver === undefined ? store.accept(id, part) : receiver.accept(part));
          this.counters.fetched++;
          this.counters.fetchedBytes += sizeBytes - resumedAt;
          const seconds = (this.options.clock.nowMs() - status.startedAtMs) / 1000;
          const resumed = resumedAt > 0 ? `, resumed at ${formatBytes(resumedAt)}` : '';
          this.event('content-fetched', id, `${kind} ${short(id)}: ${formatBytes(sizeBytes)} from ${provider} in ${seconds.toFixed(1)} s${resumed}`);
          await rm(part, { force: true });
          this.announce();
          this.options.onHeldChanged?.();
          return;
        } catch (e) {
          lastError = (e as Error).message;
          if (e instanceof ContentMismatchError) {
            // The bytes are not the content: nothing of them is worth a resume, and the provider is not asked again.
            this.counters.mismatches++;
            excluded.add(provider);
            lastProvider = undefined;
            await rm(part, { force: true });
            this.event('content-refused', id, `${kind} ${short(id)} from ${provider} does not match its id (${lastError}); trying another provider`);
          } else if (e instanceof ProviderRefusedError) {
            refusedUntil.set(provider, performance.now() + REFUSED_PAUSE_MS);
            if (lastProvider === provider && status.receivedBytes === 0) lastProvider = undefined;
          } else {
            if (++broken > MAX_BROKEN) throw new Error(`the transfer broke off ${broken} times (last: ${lastError})`);
            this.options.log.info({ err: e, provider, id }, 'content transfer broke off; resuming');
            // 1, 2, 4, 8 s, then 8 s: a partition of a minute is outlasted, a dead provider is given up on.
            await pause(RETRY_PAUSE_MS * 2 ** Math.min(broken - 1, 3), this.abort.signal);
          }
        } finally {
          receiver?.discard();
        }
      }
    } finally {
      if (this.abort.signal.aborted) await rm(part, { force: true });
    }
  }

  /** Providers from the DHT, and the nodes the document says hold it, among the live members. */
  private async providers(kind: ContentKind, id: string, until?: AbortSignal): Promise<string[]> {
    const found = new Set(this.options.holders(kind, id));
    const signal = AbortSignal.any([AbortSignal.timeout(FIND_PROVIDERS_MS), this.abort.signal, ...(until === undefined ? [] : [until])]);
    try {
      for await (const event of this.options.dht.findProviders(contentKey(kind, id), { signal })) {
        if (event.name === 'PROVIDER') for (const p of event.providers) found.add(p.id.toString());
      }
    } catch (e) {
      if (this.abort.signal.aborted) throw e;
      this.options.log.debug({ err: e, id }, 'provider lookup ended early');
    }
    found.delete(this.options.swim.id);
    return [...found].filter((p) => {
      const state = this.options.swim.member(p)?.state;
      return (state === 'alive' || state === 'suspect') && this.options.admitted(p);
    });
  }

  private reachable(peer: string): boolean {
    return this.options.host.getConnections(peerIdFromString(peer)).length > 0 || this.options.swim.member(peer)?.state === 'alive';
  }

  /** Provides what is newly held, withdraws what is gone. Records expire on their own at the other nodes. */
  private async reannounce(): Promise<void> {
    const held = new Map<string, { kind: ContentKind; id: string }>();
    for (const store of this.stores.values()) for (const id of await store.list()) held.set(`${store.kind}/${id}`, { kind: store.kind, id });
    for (const [key, { kind, id }] of this.announced) {
      if (held.has(key)) continue;
      await this.options.dht.cancelReprovide(contentKey(kind, id)).catch(() => undefined);
      this.announced.delete(key);
      this.counters.withdrawn++;
    }
    for (const [key, piece] of held) {
      if (this.announced.has(key) || this.abort.signal.aborted) continue;
      try {
        const signal = AbortSignal.any([AbortSignal.timeout(FIND_PROVIDERS_MS), this.abort.signal]);
        for await (const _ of this.options.dht.provide(contentKey(piece.kind, piece.id), { signal })) {
          // Drained: provide() stores the record locally first, then at the closest peers.
        }
        this.announced.set(key, piece);
        this.counters.announced++;
      } catch (e) {
        // Alone, or the DHT not yet filled: the record is stored locally; try again next time.
        this.options.log.debug({ err: e, key }, 'could not announce content yet');
      }
    }
  }

  private event(kind: string, object: string, message: string): void {
    this.options.events.record({ atMs: this.options.clock.nowMs(), node: this.options.swim.id, kind, object, message });
    this.options.log.info({ object }, `${kind}: ${message}`);
  }
}

const short = (id: string): string => (id.startsWith('sha256:') ? id.slice(7, 19) : id.slice(-8));

/** What a replica waiting for the transfer says: no byte counts, or its status would be written again every pass (progress is in `get images`). */
const describeTransfer = (t: TransferStatus): string => `waiting for ${t.kind} ${short(t.id)}, fetching it from peers`;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Feeds `receiver` what the part file at `path` holds (a resume), if anything. */
async function replay(path: string, receiver: ContentReceiver): Promise<void> {
  const file = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (file === undefined) return;
  try {
    for await (const chunk of file.createReadStream({ autoClose: false })) await receiver.write([chunk as Buffer]);
  } finally {
    await file.close();
  }
}

const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

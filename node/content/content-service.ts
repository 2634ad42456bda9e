import type { KadDHT } from '@libp2p/kad-dht';
import type { Libp2p } from '@libp2p/interface';
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.js';
import type { ImageTransferJson } from '../../protocol/api/images.js';
import { planLayers } from '../../protocol/images/layer-plan.js';
import type { EventLog } from '../event-log.js';
import type { SwimService } from '../swim/service.js';
import type { Bandwidth } from './bandwidth.js';
import { contentKey } from './content-key.js';
import { formatBytes, shortId } from './content-names.js';
import type { ContentKind, ContentStore } from './content-store.js';
import { PieceFetcher } from './piece-fetcher.js';
import { serveContent, type TransferCounters } from './transfer.js';

/** How often the node compares what it holds with what it announced. */
const ANNOUNCE_INTERVAL_MS = 30_000;
/** An announcement (a provider record put) gives up after this; the next comparison tries again. */
const PROVIDE_MS = 10_000;
/** A transfer with no provider to ask for this long gives up (a need later starts over). */
const NO_PROVIDER_MS = 120_000;
/**
 * A piece of a layered fetch with no provider to give it for this long gives up, and
 * the image is fetched whole: a provider may be of a version that serves no pieces.
 */
const PIECE_NO_PROVIDER_MS = 20_000;
/** After a transfer gave up, a need within this long is told so rather than starting another. */
const FAILED_MEMORY_MS = 30_000;

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
  /** Where the engine loads an image from its config and layers: images are fetched layer by layer when the node holds their lower layers. */
  pieces?: PiecewiseImages;
  events: EventLog;
  log: Logger;
  clock: Clock;
}

/** An image as its config and layers (node/images/image-pieces.ts), for a transfer of only the layers a node lacks. */
export interface PiecewiseImages {
  /** The layer lists of the images the engine holds. */
  heldLayerLists(): Promise<Iterable<readonly string[]>>;
  /** The layers of image `id`, from its received config. */
  configLayers(id: string): Promise<readonly string[]>;
  /** Loads image `id` from its received config and its layers above the `held` ones; ContentMismatchError where the engine refuses. */
  load(id: string, diffIds: readonly string[], held: number): Promise<void>;
  /** Drops the received pieces of image `id`. */
  forget(id: string, diffIds: readonly string[]): Promise<void>;
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
  /** Images fetched as their config and the layers the node lacked. */
  layered: number;
  /** Layered fetches that failed and fell back to the whole image. */
  layeredFailures: number;
  announced: number;
  withdrawn: number;
}

/**
 * Content peer to peer: announces what the node holds as DHT provider records, serves it
 * to admitted nodes, and fetches what the node needs (node/content/piece-fetcher.ts:
 * from a provider picked at random, checked against its id before anything uses it), an
 * image layer by layer where the engine holds its lower layers. One transfer per piece,
 * however many replicas wait for it; a dropped one resumes where it stopped.
 */
export class ContentService {
  readonly counters: ContentCounters = { fetched: 0, fetchedBytes: 0, resumed: 0, mismatches: 0, failures: 0, layered: 0, layeredFailures: 0, announced: 0, withdrawn: 0 };
  private readonly stores: Map<ContentKind, ContentStore>;
  private readonly transfers = new Map<string, TransferStatus>();
  /**
   * Images fetched layer by layer go one at a time: the second of two on one base then
   * finds the base loaded with the first, and fetches only what is its own.
   */
  private layeredTurn: Promise<unknown> = Promise.resolve();
  private readonly failed = new Map<string, { atMs: number; message: string }>();
  private readonly announced = new Map<string, { kind: ContentKind; id: string }>();
  private readonly abort = new AbortController();
  private readonly fetcher: PieceFetcher;
  private server: { counters: TransferCounters; stop: () => Promise<void> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private announcing: Promise<void> = Promise.resolve();

  constructor(private readonly options: ContentServiceOptions) {
    this.stores = new Map(options.stores.map((s) => [s.kind, s]));
    this.fetcher = new PieceFetcher({ ...options, counters: this.counters, signal: this.abort.signal, event: (kind, object, message) => this.event(kind, object, message) });
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
        this.event('content-fetch-failed', id, `${kind} ${shortId(id)}: ${e.message}`);
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
    return [...here, ...(await this.fetcher.providers(kind, id, signal)).sort()];
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

  /** Fetches what `status` names: an image layer by layer where the engine holds its lower layers, else whole. */
  private async fetch(store: ContentStore, status: TransferStatus): Promise<void> {
    const { kind, id } = status;
    this.event('content-fetching', id, `${kind} ${shortId(id)}: looking for providers`);
    if (kind === 'image' && this.options.pieces !== undefined) {
      try {
        const pieces = this.options.pieces;
        const turn = this.layeredTurn.then(() => this.fetchLayered(pieces, status));
        this.layeredTurn = turn.catch(() => undefined);
        if (await turn) return;
      } catch (e) {
        this.abort.signal.throwIfAborted();
        this.counters.layeredFailures++;
        this.event('content-pieces-failed', id, `image ${shortId(id)}: layer by layer failed (${(e as Error).message}); fetching it whole`);
      }
      status.receivedBytes = 0;
      status.sizeBytes = undefined;
    }
    const got = await this.fetcher.fetch(store, kind, id, status, 0, [], NO_PROVIDER_MS);
    this.fetched(status, `${kind} ${shortId(id)}: ${formatBytes(got.sizeBytes)} from ${got.provider}`, got.resumedAt > 0 ? `, resumed at ${formatBytes(got.resumedAt)}` : '');
  }

  /**
   * Fetches image `status.id` as its config and the layers the engine lacks, then loads
   * it from them. False, with only the config moved, where the engine holds none of its
   * layers as a chain: the whole archive is then fewer requests for the same bytes.
   */
  private async fetchLayered(pieces: PiecewiseImages, status: TransferStatus): Promise<boolean> {
    const id = status.id;
    // An engine with no images holds no layers: the whole archive, without asking for the config first.
    // Listed once: the engine's images (one inspect each, first time) are what the plan is made from.
    const held = [...(await pieces.heldLayerLists())];
    if (held.length === 0) return false;
    // Every holder of the image holds its config and layers, whether or not the DHT has their records yet.
    const imageProviders = await this.fetcher.providers('image', id);
    const config = await this.fetcher.fetch(this.storeOf('config'), 'config', id, status, 0, imageProviders, PIECE_NO_PROVIDER_MS);
    let diffIds: readonly string[] = [];
    try {
      diffIds = await pieces.configLayers(id);
      const plan = planLayers(diffIds, held);
      if (plan.held === 0) return false;
      const got = [config];
      const layers = this.storeOf('layer');
      for (const layer of plan.fetch) got.push(await this.fetcher.fetch(layers, 'layer', layer, status, sum(got.map((g) => g.sizeBytes)), imageProviders, PIECE_NO_PROVIDER_MS));
      await pieces.load(id, diffIds, plan.held);
      this.counters.layered++;
      const from = [...new Set(got.map((g) => g.provider))].join(', ');
      const resumed = got.some((g) => g.resumedAt > 0) ? ', resumed at a break' : '';
      this.fetched(
        status,
        `image ${shortId(id)}: its config and ${plan.fetch.length} of ${diffIds.length} layers (${plan.held} held here), ${formatBytes(sum(got.map((g) => g.sizeBytes)))} from ${from}`,
        resumed,
      );
      return true;
    } finally {
      await pieces.forget(id, diffIds);
    }
  }

  /** Counts and reports a fetched image or artifact, and announces it. */
  private fetched(status: TransferStatus, what: string, resumed: string): void {
    this.counters.fetched++;
    const seconds = (this.options.clock.nowMs() - status.startedAtMs) / 1000;
    this.event('content-fetched', status.id, `${what} in ${seconds.toFixed(1)} s${resumed}`);
    this.announce();
    this.options.onHeldChanged?.();
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
        const signal = AbortSignal.any([AbortSignal.timeout(PROVIDE_MS), this.abort.signal]);
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

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** What a replica waiting for the transfer says: no byte counts, or its status would be written again every pass (progress is in `get images`). */
const describeTransfer = (t: TransferStatus): string => `waiting for ${t.kind} ${shortId(t.id)}, fetching it from peers`;

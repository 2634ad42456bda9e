import type { KadDHT } from '@libp2p/kad-dht';
import type { Libp2p } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { randomInt } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ImageTransferJson } from '../../protocol/api/images.js';
import { createRandom } from '../../base/random.js';
import { chooseProvider } from '../../protocol/images/provider-choice.js';
import { dialMember } from '../dial-member.js';
import type { SwimService } from '../swim/service.js';
import type { Bandwidth } from './bandwidth.js';
import { contentKey } from './content-key.js';
import { shortId } from './content-names.js';
import { ContentMismatchError, type ContentKind, type ContentReceiver, type ContentStore } from './content-store.js';
import { fetchContent, ProviderRefusedError } from './transfer.js';

/** A provider lookup gathers for at most this long; a DHT of a few nodes answers in milliseconds. */
const FIND_PROVIDERS_MS = 10_000;
/** Breaks (a dropped connection, a stall) one transfer survives, each resumed where it stopped. */
const MAX_BROKEN = 8;
/** A provider that answered busy, or without the piece, is asked again after this. */
const REFUSED_PAUSE_MS = 3_000;
const RETRY_PAUSE_MS = 1_000;

export interface PieceFetcherOptions {
  host: Libp2p;
  dht: KadDHT;
  swim: SwimService;
  /** Where part files wait for the rest of their bytes. */
  dir: string;
  bandwidth: Bandwidth;
  admitted: (peer: string) => boolean;
  /** Nodes the document says hold a piece: providers besides the DHT's, should its lookup come back empty. */
  holders: (kind: ContentKind, id: string) => readonly string[];
  /** The content service's counters this adds to. */
  counters: { resumed: number; mismatches: number; fetchedBytes: number };
  /** Ends every lookup and transfer: the node is stopping. */
  signal: AbortSignal;
  /** Records a cluster event about `object`. */
  event: (kind: string, object: string, message: string) => void;
  log: Logger;
}

/** A piece fetched: from whom, its size, and where a break resumed it. */
export interface Fetched {
  provider: string;
  sizeBytes: number;
  resumedAt: number;
}

/**
 * One piece of content (an image, its config, a layer, an artifact) from a provider: the
 * DHT's and the document's holders among the live admitted members, one picked at random
 * (so twenty nodes that need one image do not all pull from the first holder), a broken
 * transfer resumed from the same one, bytes that do not match the id refused and their
 * sender not asked again.
 */
export class PieceFetcher {
  private readonly random = createRandom(randomInt(2 ** 32));

  constructor(private readonly options: PieceFetcherOptions) {}

  /**
   * Fetches `kind` `id` into `store` from a provider chosen among those found (and
   * `also`), giving up after `patienceMs` with none to ask. `status` shows the progress,
   * `baseBytes` what earlier pieces of the same transfer moved.
   */
  async fetch(store: ContentStore, kind: ContentKind, id: string, status: ImageTransferJson, baseBytes: number, also: readonly string[], patienceMs: number): Promise<Fetched> {
    const { signal, counters } = this.options;
    const part = join(this.options.dir, `${kind}-${id.slice('sha256:'.length)}.part`);
    // Sent bytes that are not the content: not asked again for this transfer.
    const excluded = new Set<string>();
    // Answered busy or without it: not asked again until then.
    const refusedUntil = new Map<string, number>();
    let lastProvider: string | undefined;
    let lastError = 'no node announces it';
    let broken = 0;
    const giveUpAt = performance.now() + patienceMs;
    try {
      for (;;) {
        signal.throwIfAborted();
        const now = performance.now();
        const candidates = [...new Set([...(await this.providers(kind, id)), ...this.live(also)])].filter((p) => !excluded.has(p) && (refusedUntil.get(p) ?? 0) <= now);
        // The node a dropped transfer came from first: its bytes so far are good for a resume.
        const provider =
          lastProvider !== undefined && candidates.includes(lastProvider)
            ? lastProvider
            : chooseProvider(candidates, { self: this.options.swim.id, reachable: (p) => this.reachable(p), failed: excluded, random: this.random });
        if (provider === undefined) {
          if (performance.now() > giveUpAt) throw new Error(`no provider could give ${kind} ${shortId(id)} within ${patienceMs / 1000} s (last: ${lastError})`);
          await pause(RETRY_PAUSE_MS, signal);
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
            (protocol, dialSignal) =>
              dialMember(this.options.host, provider, this.options.swim.member(provider)?.record.addrs ?? [], protocol, AbortSignal.any([dialSignal, signal])),
            {
              kind,
              id,
              path: part,
              onProgress: (received, size) => {
                status.receivedBytes = baseBytes + received;
                status.sizeBytes = baseBytes === 0 && kind === status.kind ? size : undefined;
              },
              ...(receiver === undefined ? {} : { onBytes: (parts: readonly Uint8Array[]) => receiver.write(parts) }),
            },
            this.options.bandwidth,
            signal,
          );
          if (resumedAt > 0) counters.resumed++;
          await (receiver === undefined ? store.accept(id, part) : receiver.accept(part));
          counters.fetchedBytes += sizeBytes - resumedAt;
          await rm(part, { force: true });
          return { provider, sizeBytes, resumedAt };
        } catch (e) {
          lastError = (e as Error).message;
          if (e instanceof ContentMismatchError) {
            // The bytes are not the content: nothing of them is worth a resume, and the provider is not asked again.
            counters.mismatches++;
            excluded.add(provider);
            lastProvider = undefined;
            await rm(part, { force: true });
            this.options.event('content-refused', status.id, `${kind} ${shortId(id)} from ${provider} does not match its id (${lastError}); trying another provider`);
          } else if (e instanceof ProviderRefusedError) {
            refusedUntil.set(provider, performance.now() + REFUSED_PAUSE_MS);
            if (lastProvider === provider && status.receivedBytes === baseBytes) lastProvider = undefined;
          } else {
            if (++broken > MAX_BROKEN) throw new Error(`the transfer of ${kind} ${shortId(id)} broke off ${broken} times (last: ${lastError})`);
            this.options.log.info({ err: e, provider, id }, 'content transfer broke off; resuming');
            // 1, 2, 4, 8 s, then 8 s: a partition of a minute is outlasted, a dead provider is given up on.
            await pause(RETRY_PAUSE_MS * 2 ** Math.min(broken - 1, 3), signal);
          }
        } finally {
          receiver?.discard();
        }
      }
    } finally {
      if (signal.aborted) await rm(part, { force: true });
    }
  }

  /** Providers from the DHT, and the nodes the document says hold it, among the live members. */
  async providers(kind: ContentKind, id: string, until?: AbortSignal): Promise<string[]> {
    const found = new Set(this.options.holders(kind, id));
    const signal = AbortSignal.any([AbortSignal.timeout(FIND_PROVIDERS_MS), this.options.signal, ...(until === undefined ? [] : [until])]);
    try {
      for await (const event of this.options.dht.findProviders(contentKey(kind, id), { signal })) {
        if (event.name === 'PROVIDER') for (const p of event.providers) found.add(p.id.toString());
      }
    } catch (e) {
      if (this.options.signal.aborted) throw e;
      this.options.log.debug({ err: e, id }, 'provider lookup ended early');
    }
    return this.live([...found]);
  }

  /** Of `peers`, the live admitted members. */
  private live(peers: readonly string[]): string[] {
    return peers.filter((p) => p !== this.options.swim.id && this.options.swim.isReachable(p) && this.options.admitted(p));
  }

  private reachable(peer: string): boolean {
    return this.options.host.getConnections(peerIdFromString(peer)).length > 0 || this.options.swim.member(peer)?.state === 'alive';
  }
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

import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.js';
import { planRetention, type ArtifactRetention, type HeldArtifact } from '../../protocol/content/artifact-retention.js';
import { formatBytes } from '../content/content-names.js';
import type { EventLog } from '../event-log.js';
import { hostClock } from '../wall-clock.js';
import { ArtifactStoreFullError, type ArtifactStore } from './artifact-store.js';

/** How often the store is swept for artifacts past their grace: a minute late is nothing against an hour. */
const SWEEP_INTERVAL_MS = 60_000;

export interface ArtifactCollectorOptions {
  store: ArtifactStore;
  retention: ArtifactRetention;
  /** Artifacts this node must keep: those the document's workloads name (protocol/content/named-artifacts.ts). */
  named: () => ReadonlySet<string>;
  /** Called after artifacts were removed: the node withdraws its announcements of them. */
  onRemoved?: () => void;
  events?: EventLog;
  node?: string;
  log: Logger;
  /** The host's clock by default: last uses are file times, which the host's clock writes. */
  clock?: Clock;
}

export interface ArtifactCollectorCounters {
  removed: number;
  removedBytes: number;
  /** Artifacts refused for want of room (an upload, a fetch). */
  refused: number;
}

/**
 * The artifact store's quota and clean-up (protocol/content/artifact-retention.ts decides):
 * a sweep every minute removes what no workload names once it has gone unused for the
 * grace period, and an artifact about to be stored gets room, the least recently used
 * unnamed ones going first, or is refused with the limit named. Sweeps and admissions
 * run one at a time, and room given to an artifact being stored counts until it is.
 */
export class ArtifactCollector {
  readonly counters: ArtifactCollectorCounters = { removed: 0, removedBytes: 0, refused: 0 };
  private readonly clock: Clock;
  private turn: Promise<unknown> = Promise.resolve();
  private reservedBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ArtifactCollectorOptions) {
    this.clock = options.clock ?? hostClock;
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep().catch((e: unknown) => this.options.log.warn({ err: e }, 'artifact sweep failed')), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Removes what may go now: unnamed artifacts past their grace, and more while the store is over its quota. */
  sweep(): Promise<HeldArtifact[]> {
    return this.inTurn(async () => (await this.collect(0)).removed);
  }

  /** The store's MakeRoom: room for `bytes` more, held until the release is called; ArtifactStoreFullError when there is none. */
  makeRoom = (bytes: number): Promise<() => void> =>
    this.inTurn(async () => {
      const { fits, heldBytes } = await this.collect(bytes);
      if (!fits) {
        this.counters.refused++;
        const { quotaBytes } = this.options.retention;
        throw new ArtifactStoreFullError(
          `the artifact store has no room for ${formatBytes(bytes)} (a tar and its files): it would hold ${formatBytes(heldBytes)}, over its limit of ${formatBytes(quotaBytes)} (--artifact-store-bytes ${quotaBytes}); artifacts that workloads name are kept, others after ${Math.round(this.options.retention.minAgeMs / 60_000)} min unused`,
        );
      }
      this.reservedBytes += bytes;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.reservedBytes -= bytes;
      };
    });

  private async collect(incomingBytes: number): Promise<{ removed: HeldArtifact[]; fits: boolean; heldBytes: number }> {
    const { store, retention, named } = this.options;
    const plan = planRetention(await store.held(), named(), this.clock.nowMs(), retention, this.reservedBytes + incomingBytes);
    const removed: HeldArtifact[] = [];
    let heldBytes = plan.heldBytes;
    for (const artifact of plan.remove) {
      if (!(await store.remove(artifact.id, artifact.lastUsedAtMs))) {
        heldBytes += artifact.sizeBytes;
        continue;
      }
      removed.push(artifact);
      this.counters.removed++;
      this.counters.removedBytes += artifact.sizeBytes;
      const message = `${artifact.id}: ${formatBytes(artifact.sizeBytes)}, no workload names it, unused for ${Math.round((this.clock.nowMs() - artifact.lastUsedAtMs) / 60_000)} min`;
      this.options.log.info({ artifact: artifact.id }, `artifact removed: ${message}`);
      this.options.events?.record({ atMs: this.clock.nowMs(), node: this.options.node ?? '', kind: 'artifact-removed', object: artifact.id, message });
    }
    if (removed.length > 0) this.options.onRemoved?.();
    return { removed, fits: heldBytes <= retention.quotaBytes, heldBytes };
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const next = this.turn.then(work);
    this.turn = next.catch(() => undefined);
    return next;
  }
}

import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.js';
import { MajorityLeaseHolder } from '../../protocol/agent/majority-lease.js';
import { keeperStopGraceMs, type MajorityLease } from '../../protocol/agent/majority-fence.js';
import { bootId, monotonicMs } from '../lease-clock.js';
import type { KeeperLauncher } from './fence-keeper-launch.js';
import { readFenceRecord, writeFenceRecord } from './fence-record.js';

export interface MajorityFenceOptions {
  dataRoot: string;
  fenceMs: number;
  runtime: 'docker' | 'process';
  replicasDir: string;
  launcher: KeeperLauncher;
  log: Logger;
  /** The node's wall clock (node/wall-clock.ts), which its scheduler reads: only to translate the lease's sighting for it. */
  clock: Clock;
}

/** A keeper that is still starting is not started twice. */
const RESPAWN_AFTER_MS = 3_000;

/**
 * The node's side of the majority lease, wired to the disk and the host's monotonic
 * clock: the lease itself (protocol/agent/majority-lease.ts) decides when the record is
 * rewritten and whether the node may run a `majority` replica; this writes the record
 * and starts the fence keeper that acts on it.
 */
export class MajorityFence {
  private readonly lease: MajorityLeaseHolder;
  private readonly bootId = bootId();
  private keeperStartedAtMs = Number.NEGATIVE_INFINITY;

  /** Starts from the record a previous process of this node left, if it then ran majority replicas. */
  constructor(private readonly options: MajorityFenceOptions) {
    const before = readFenceRecord(options.dataRoot);
    const nowMs = monotonicMs();
    // A sighting older than the fence (or of another boot) counts as one just past it: run out either way, and a number JSON can hold.
    this.lease = new MajorityLeaseHolder(options.fenceMs, before !== undefined && before.replicas.length > 0 ? Math.max(before.seenMajorityAtMs, nowMs - options.fenceMs) : nowMs);
  }

  /** When the node last saw a majority, on the wall clock its scheduler reads. */
  get majoritySeenAtWallMs(): number {
    return this.options.clock.nowMs() - (monotonicMs() - this.lease.majoritySeenAtMs);
  }

  /** The node's scheduler saw a majority just now. */
  sawMajority(): void {
    this.write(this.lease.sawMajority(monotonicMs()));
  }

  /** The runtime ids of this node's majority replicas, as its agent last listed them. */
  guard(replicas: readonly string[]): void {
    this.write(this.lease.guard(replicas, monotonicMs()));
  }

  /** The node must not run a `majority` replica now: the lease its keeper acts on has run out. */
  runOut(): boolean {
    return this.lease.runOut(monotonicMs());
  }

  private write(record: MajorityLease | undefined): void {
    if (record === undefined) return;
    const { dataRoot, runtime, replicasDir } = this.options;
    // Half the margin the majority side waits beyond the fence: a replica that ignores
    // SIGTERM is killed before its slot can run elsewhere.
    writeFenceRecord(dataRoot, { ...record, replicas: [...record.replicas], bootId: this.bootId, graceMs: keeperStopGraceMs(record.fenceMs), runtime, replicasDir });
    if (record.replicas.length > 0) this.startKeeper();
  }

  // A throttle, a duration only: on the host's clock, which the skew fault does not move.
  private startKeeper(): void {
    if (Date.now() - this.keeperStartedAtMs < RESPAWN_AFTER_MS) return;
    this.keeperStartedAtMs = Date.now();
    this.options.launcher.ensure().catch((e: unknown) => this.options.log.warn({ error: String(e) }, 'could not start the fence keeper; trying again'));
  }
}

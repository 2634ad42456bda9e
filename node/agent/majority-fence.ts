import type { Logger } from 'pino';
import type { KeeperLauncher } from './fence-keeper-launch.js';
import { readFenceRecord, writeFenceRecord } from './fence-record.js';

export interface MajorityFenceOptions {
  dataRoot: string;
  fenceMs: number;
  runtime: 'docker' | 'process';
  replicasDir: string;
  launcher: KeeperLauncher;
  log: Logger;
}

/** A keeper that is still starting is not started twice. */
const RESPAWN_AFTER_MS = 3_000;

/**
 * The node's side of the majority lease (protocol/agent/majority-fence.ts): it keeps the
 * lease's record current while this node runs `majority` replicas, and starts the fence
 * keeper that acts on it. The record is rewritten when the replicas change and every
 * quarter fence time while the node sees a majority, so a record read by the keeper is
 * never older than a fraction of the fence.
 */
export class MajorityFence {
  private seenMajorityAtMs: number;
  private replicas: string[] = [];
  private written: { seenMajorityAtMs: number; replicas: string } | undefined;
  private keeperStartedAtMs = Number.NEGATIVE_INFINITY;

  /** Starts from the record a previous process of this node left, if it then ran majority replicas. */
  constructor(private readonly options: MajorityFenceOptions) {
    const before = readFenceRecord(options.dataRoot);
    this.seenMajorityAtMs = before !== undefined && before.replicas.length > 0 ? before.seenMajorityAtMs : Date.now();
  }

  get majoritySeenAtMs(): number {
    return this.seenMajorityAtMs;
  }

  sawMajority(atMs: number): void {
    this.seenMajorityAtMs = Math.max(this.seenMajorityAtMs, atMs);
    this.flush();
  }

  /** The runtime ids of this node's majority replicas, as its agent last listed them. */
  guard(replicas: readonly string[]): void {
    this.replicas = [...replicas].sort();
    this.flush();
  }

  private flush(): void {
    const replicas = this.replicas.join(' ');
    const written = this.written;
    if (written === undefined && replicas === '') return;
    if (written !== undefined && written.replicas === replicas && (replicas === '' || this.seenMajorityAtMs - written.seenMajorityAtMs < this.options.fenceMs / 4)) return;
    const { dataRoot, fenceMs, runtime, replicasDir } = this.options;
    // Half the margin the majority side waits beyond the fence: a replica that ignores
    // SIGTERM is killed before its slot can run elsewhere.
    writeFenceRecord(dataRoot, { seenMajorityAtMs: this.seenMajorityAtMs, fenceMs, graceMs: fenceMs / 2, runtime, replicasDir, replicas: this.replicas });
    this.written = { seenMajorityAtMs: this.seenMajorityAtMs, replicas };
    if (replicas !== '') this.startKeeper();
  }

  private startKeeper(): void {
    if (Date.now() - this.keeperStartedAtMs < RESPAWN_AFTER_MS) return;
    this.keeperStartedAtMs = Date.now();
    this.options.launcher.ensure().catch((e: unknown) => this.options.log.warn({ error: String(e) }, 'could not start the fence keeper; trying again'));
  }
}

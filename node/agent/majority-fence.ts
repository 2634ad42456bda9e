import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { lockHolder } from '../data-dir.js';
import { packageRoot } from '../package-root.js';
import { fenceKeeperLockPath, readFenceRecord, writeFenceRecord } from './fence-record.js';

export interface MajorityFenceOptions {
  dataRoot: string;
  fenceMs: number;
  runtime: 'docker' | 'process';
  replicasDir: string;
  log: Logger;
}

/** A keeper that has not taken its lock yet is not started twice. */
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

  constructor(private readonly options: MajorityFenceOptions) {
    this.seenMajorityAtMs = MajorityFence.restore(options.dataRoot) ?? Date.now();
  }

  /** When this node last saw a majority before its process ended, if it then ran majority replicas. */
  static restore(dataRoot: string): number | undefined {
    const record = readFenceRecord(dataRoot);
    return record !== undefined && record.replicas.length > 0 ? record.seenMajorityAtMs : undefined;
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
    if (lockHolder(fenceKeeperLockPath(this.options.dataRoot)) !== undefined || Date.now() - this.keeperStartedAtMs < RESPAWN_AFTER_MS) return;
    this.keeperStartedAtMs = Date.now();
    // The V8 flags of bin/shoal.js: the keeper idles, and small is what matters.
    const child = spawn(process.execPath, ['--max-semi-space-size=1', '--optimize-for-size', join(packageRoot(), 'bin', 'shoal.js'), 'fence-keeper', '--data-dir', this.options.dataRoot], {
      detached: true,
      stdio: 'ignore',
    });
    child.on('error', (e) => this.options.log.warn({ error: String(e) }, 'could not start the fence keeper'));
    child.unref();
    this.options.log.info({ pid: child.pid }, 'fence keeper started: it removes this node\'s majority replicas if the node stops seeing a majority, even when the node itself is gone');
  }
}

import { Level } from 'level';
import type { Delta } from '../crdt/index.js';
import { UserError } from './errors.js';

export class StorageUnavailableError extends UserError {
  override readonly name = 'StorageUnavailableError';
  constructor(readonly reason: string) {
    super(`this node cannot store writes right now (${reason}); nothing was written: try another node, or free disk space here`);
  }
}

interface Pending {
  delta: Delta;
  resolve: () => void;
  reject: (e: Error) => void;
}

const isDiskFull = (e: unknown): boolean => /ENOSPC|No space left|IO error/i.test(String((e as Error)?.message ?? e) + String((e as { cause?: unknown }).cause ?? ''));

/**
 * Accepted deltas in LevelDB. A write is acknowledged only after a synced batch
 * (fsync), so neither kill -9 nor a power cut loses it; concurrent writes share one
 * sync (group commit). After a failed write (a full disk turns LevelDB read-only until
 * it is reopened) the store refuses writes and reopens itself until a write succeeds.
 */
export class StateStore {
  private pending: Pending[] = [];
  private flushing = false;
  /** Synced writes made: a batch of deltas shares one (group commit). */
  syncs = 0;
  private failure: string | undefined;
  private recovery: NodeJS.Timeout | undefined;

  private constructor(
    private db: Level<string, Delta>,
    private readonly path: string,
    private readonly recoveryIntervalMs: number,
  ) {}

  static async open(path: string, recoveryIntervalMs = 2_000): Promise<StateStore> {
    const db = new Level<string, Delta>(path, { valueEncoding: 'json' });
    await db.open();
    return new StateStore(db, path, recoveryIntervalMs);
  }

  /** Why writes are refused, or undefined when the store is healthy. */
  get unavailable(): string | undefined {
    return this.failure;
  }

  async *deltas(): AsyncGenerator<Delta> {
    for await (const value of this.db.values({ gt: 'delta/', lt: 'delta/~' })) yield value;
  }

  /** Resolves once the delta is on disk, synced. */
  append(delta: Delta): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(new StorageUnavailableError(this.failure));
    return new Promise((resolve, reject) => {
      this.pending.push({ delta, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.recovery);
    await this.db.close();
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.db.batch(
          batch.map((p) => ({ type: 'put' as const, key: `delta/${p.delta.id}`, value: p.delta })),
          { sync: true },
        );
        this.syncs++;
        batch.forEach((p) => p.resolve());
      } catch (e) {
        this.fail(isDiskFull(e) ? 'disk full' : (e as Error).message);
        const error = new StorageUnavailableError(this.failure as string);
        [...batch, ...this.pending].forEach((p) => p.reject(error));
        this.pending = [];
      }
    }
    this.flushing = false;
  }

  private fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.recovery = setTimeout(() => void this.recover(), this.recoveryIntervalMs);
  }

  /** LevelDB stays read-only after a failed write until reopened; a probe write tells whether space is back. */
  private async recover(): Promise<void> {
    try {
      await this.db.close().catch(() => undefined);
      this.db = new Level<string, Delta>(this.path, { valueEncoding: 'json' });
      await this.db.open();
      await this.db.put('probe', { id: 'probe' } as unknown as Delta, { sync: true });
      await this.db.del('probe', { sync: true });
      this.failure = undefined;
    } catch {
      this.recovery = setTimeout(() => void this.recover(), this.recoveryIntervalMs);
    }
  }
}

import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A node's cap on content bytes per second, sent and received together (`--image-bandwidth`):
 * a token bucket one second deep, so a transfer runs at the cap on average and bursts
 * by at most a second's worth. Undefined bytes per second: no cap.
 */
export class Bandwidth {
  private tokens: number;
  private lastMs = performance.now();
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly bytesPerSecond: number | undefined) {
    this.tokens = bytesPerSecond ?? 0;
  }

  /** Resolves once `bytes` may move; callers are served in turn, so one transfer cannot starve another. */
  take(bytes: number, signal?: AbortSignal): Promise<void> {
    const rate = this.bytesPerSecond;
    if (rate === undefined) return Promise.resolve();
    const turn = this.queue.then(async () => {
      this.refill(rate);
      this.tokens -= bytes;
      // In debt: wait until the bucket is back at zero. A chunk larger than the bucket waits longer, once.
      if (this.tokens < 0) await sleep((-this.tokens / rate) * 1000, undefined, { signal });
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private refill(rate: number): void {
    const now = performance.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.lastMs) / 1000) * rate);
    this.lastMs = now;
  }
}

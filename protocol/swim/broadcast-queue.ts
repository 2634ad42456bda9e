import { encodedUpdateBytes } from './codec.js';
import type { Update } from './messages.js';

interface Queued {
  update: Update;
  subject: number;
  bytes: number;
  transmits: number;
  order: number;
}

/**
 * Updates waiting to be piggybacked, at most one per member (a newer update about a
 * member replaces the older). Each is sent up to the retransmit limit; the least
 * sent go first, newest first among equals, as in memberlist's TransmitLimitedQueue.
 */
export class BroadcastQueue {
  private readonly items = new Map<number, Queued>();
  private order = 0;

  get size(): number {
    return this.items.size;
  }

  enqueue(subject: number, update: Update): void {
    this.items.set(subject, { update, subject, bytes: encodedUpdateBytes(update), transmits: 0, order: this.order++ });
  }

  /** Takes updates that fit in `budgetBytes`, counting one transmission for each. */
  take(budgetBytes: number, transmitLimit: number): Update[] {
    if (this.items.size === 0) return [];
    const queued = [...this.items.values()].sort((a, b) => a.transmits - b.transmits || b.order - a.order);
    const out: Update[] = [];
    let used = 0;
    for (const item of queued) {
      if (used + item.bytes > budgetBytes) continue;
      used += item.bytes;
      out.push(item.update);
      item.transmits++;
      if (item.transmits >= limitFor(item.update, transmitLimit)) this.items.delete(item.subject);
    }
    return out;
  }
}

/**
 * An alive update is a refutation, a rejoin or a new record: a member that misses it
 * may declare a live member dead, so it spreads twice as long. At 10% loss that takes
 * the chance of one member missing it from about e^-14 to e^-29 at N = 1,000.
 */
const limitFor = (update: Update, limit: number): number => (update.kind === 'alive' ? 2 * limit : limit);

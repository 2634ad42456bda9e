import { fnv1a } from './fnv.js';

/**
 * Each auction's answers go to a few collectors, not to everyone: rendezvous on a
 * hash ring of the live members, so every node that sees the same members sends an
 * auction's answers to the same nodes, and the work of collecting spreads evenly.
 */
export class CollectorRing {
  private readonly points: { hash: number; id: string }[];

  constructor(members: Iterable<string>) {
    this.points = [...members].map((id) => ({ hash: fnv1a(id), id })).sort((a, b) => a.hash - b.hash || (a.id < b.id ? -1 : 1));
  }

  /** The first `count` members clockwise from the auction's point, in rank order. */
  collectorsOf(auction: string, count: number): string[] {
    const n = this.points.length;
    if (n === 0) return [];
    const target = fnv1a(auction);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.points[mid] as { hash: number }).hash < target) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = 0; i < Math.min(count, n); i++) out.push((this.points[(lo + i) % n] as { id: string }).id);
    return out;
  }
}

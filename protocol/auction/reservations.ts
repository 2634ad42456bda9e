import { addResources, NO_RESOURCES, type Resources } from './resources.js';

interface Reservation {
  resources: Resources;
  hostPorts: readonly number[];
  expiresAtMs: number;
}

/**
 * What a node has promised to auctions it bid in and may win: counted as allocated so
 * concurrent auctions never over-commit it, and each with a time-to-live so a lost or
 * abandoned auction never leaks capacity.
 */
export class ReservationLedger {
  private readonly byAuction = new Map<string, Reservation>();

  reserve(auction: string, resources: Resources, hostPorts: readonly number[], expiresAtMs: number): void {
    this.byAuction.set(auction, { resources, hostPorts, expiresAtMs });
  }

  /** The auction closed (won: the placement now counts instead; lost: nothing does). */
  release(auction: string): void {
    this.byAuction.delete(auction);
  }

  /** Drops reservations past their time-to-live; returns how many. */
  expire(nowMs: number): number {
    let expired = 0;
    for (const [auction, reservation] of this.byAuction) {
      if (reservation.expiresAtMs <= nowMs) {
        this.byAuction.delete(auction);
        expired++;
      }
    }
    return expired;
  }

  total(nowMs: number): Resources {
    let sum = NO_RESOURCES;
    for (const r of this.byAuction.values()) if (r.expiresAtMs > nowMs) sum = addResources(sum, r.resources);
    return sum;
  }

  hostPorts(nowMs: number): Set<number> {
    const ports = new Set<number>();
    for (const r of this.byAuction.values()) if (r.expiresAtMs > nowMs) r.hostPorts.forEach((p) => ports.add(p));
    return ports;
  }
}

import type { Random } from '../../../base/random.js';
import type { Latency } from '../network.js';
import type { DocumentOp } from './document.js';
import type { World } from './world.js';

/** One write on its way to one replica. */
export interface Delivery {
  from: string;
  to: string;
  ops: DocumentOp[];
}

export interface GossipPorts {
  world: World;
  random: Random;
  latency: Latency;
  /** What a write held back by a cut or a stopped node takes once it can get through. */
  repairLatency: Latency;
  /** Every replica's node id, the writer's included. */
  ids: () => Iterable<string>;
  schedule: (atMs: number, delivery: Delivery) => void;
  /** Merges into the replica at `to`. */
  merge: (to: string, ops: readonly DocumentOp[]) => void;
}

/**
 * How the document travels: a write reaches every connected, running replica after
 * its own latency (the gossipsub push); one that meets a cut or a stopped node waits
 * and goes on after the heal or the restart (anti-entropy), so no write is ever lost.
 */
export class DocumentGossip {
  private held: Delivery[] = [];

  constructor(private readonly ports: GossipPorts) {}

  /** Sends a write made at `from` to every other replica. */
  spread(from: string, ops: DocumentOp[], nowMs: number): void {
    for (const to of this.ports.ids()) if (to !== from) this.ports.schedule(nowMs + this.ports.latency(this.ports.random), { from, to, ops });
  }

  arrive(delivery: Delivery): void {
    if (this.ports.world.reaches(delivery.from, delivery.to)) this.ports.merge(delivery.to, delivery.ops);
    else this.held.push(delivery);
  }

  /** After a heal or a restart: what can now get through goes on. */
  release(nowMs: number): void {
    const waiting = this.held;
    this.held = [];
    for (const delivery of waiting) {
      if (this.ports.world.reaches(delivery.from, delivery.to)) this.ports.schedule(nowMs + this.ports.repairLatency(this.ports.random), delivery);
      else this.held.push(delivery);
    }
  }
}

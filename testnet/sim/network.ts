import type { Random } from '../../base/random.js';

/** One-way delay of a message, drawn per message. */
export type Latency = (random: Random) => number;

export const uniformLatency =
  (minMs: number, maxMs: number): Latency =>
  (random) =>
    minMs + random.next() * (maxMs - minMs);

/** Most messages near the median, a long tail: what a real LAN or WAN shows. */
export const logNormalLatency =
  (medianMs: number, sigma: number): Latency =>
  (random) => {
    const u1 = Math.max(random.next(), Number.MIN_VALUE);
    const u2 = random.next();
    const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return medianMs * Math.exp(sigma * normal);
  };

/** Network faults as data, so a scenario is a value and a seed replays it. */
export interface NetworkFaults {
  latency: Latency;
  /** Probability that any one message is lost. */
  lossRate: number;
}

export const defaultFaults = (): NetworkFaults => ({ latency: logNormalLatency(1, 0.5), lossRate: 0 });

/** Which side of a partition each node is on; nodes on different sides cannot talk. */
export class Partition {
  private sides = new Map<string, number>();

  split(groups: readonly (readonly string[])[]): void {
    this.sides = new Map();
    groups.forEach((group, side) => group.forEach((id) => this.sides.set(id, side)));
  }

  heal(): void {
    this.sides = new Map();
  }

  connected(a: string, b: string): boolean {
    if (this.sides.size === 0) return true;
    return (this.sides.get(a) ?? -1) === (this.sides.get(b) ?? -1);
  }
}

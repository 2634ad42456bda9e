import { createRandom, type Random } from '../../base/random.js';

/**
 * Event loops that stall, as data: a node on a starved host (a CPU quota spent, a hog
 * beside it, a long synchronous merge) runs nothing for a while, then everything that
 * came due at once. A list of these overlaps: a busy host's many short stalls from the
 * start, say, and long ones from some time on. Each stalling node draws each kind of
 * stall from a stream of its own, drawn from the run's seed, so turning stalls on leaves
 * the simulation's stream alone.
 */
export interface StallOptions {
  /** The nodes whose loops stall, by id (default: every node). */
  nodes?: readonly string[];
  /** A stall begins on average once per this many ms after the last one ended (exponential gaps). */
  meanIntervalMs: number;
  /**
   * Each stall lasts between these two, drawn log-uniformly: as on a throttled host, most
   * stalls are short and a few are long (with 50 and 2,000 ms, half are under 316 ms).
   */
  minMs: number;
  maxMs: number;
  /** Stalls begin from this virtual time (default 0), and none after `untilMs` (default: never ends). */
  fromMs?: number;
  untilMs?: number;
}

/** One kind of stall on one node: when they come and how long they last. */
class StallSource {
  constructor(
    private readonly options: StallOptions,
    private readonly random: Random,
  ) {}

  firstAtMs(): number {
    return (this.options.fromMs ?? 0) + this.gapMs();
  }

  /** A stall beginning at `nowMs`: its length, and when the next begins (undefined: no more); undefined if stalls are over. */
  draw(nowMs: number): { lengthMs: number; nextAtMs: number | undefined } | undefined {
    const { minMs, maxMs, untilMs } = this.options;
    if (untilMs !== undefined && nowMs > untilMs) return undefined;
    const lengthMs = minMs * (maxMs / minMs) ** this.random.next();
    const nextAtMs = nowMs + lengthMs + this.gapMs();
    return { lengthMs, nextAtMs: untilMs !== undefined && nextAtMs > untilMs ? undefined : nextAtMs };
  }

  private gapMs(): number {
    return -Math.log(1 - this.random.next()) * this.options.meanIntervalMs;
  }
}

/**
 * One node's event loop. While it is stalled, what comes due waits; when the stall ends,
 * the loop runs the timers that came due first, in the order they did, then reads the
 * messages that arrived, in the order they did: Node's loop runs its timers phase before
 * its poll phase. That order is what makes a stall dangerous: a probe's timeout fires
 * before the ack that sits unread in the socket.
 */
export class StallingLoop<T> {
  private stalledUntilMs = Number.NEGATIVE_INFINITY;
  private timers: T[] = [];
  private messages: T[] = [];
  /** The longest stall since the driver last measured: what monitorEventLoopDelay's max reads. */
  private worstSinceMeasureMs = 0;

  /** By kind of stall (the index in the options' list); undefined where this node has none of that kind. */
  constructor(private readonly sources: readonly (StallSource | undefined)[]) {}

  /** When each kind of stall first begins on this loop, by kind (undefined: none of that kind). */
  firstStalls(): (number | undefined)[] {
    return this.sources.map((source) => source?.firstAtMs());
  }

  /** True while the loop runs nothing. */
  stalled(nowMs: number): boolean {
    return nowMs < this.stalledUntilMs;
  }

  /** Holds a timer (or anything else the loop runs on a timer, such as the driver's lag measurement) until the stall ends. */
  holdTimer(item: T): void {
    this.timers.push(item);
  }

  holdMessage(item: T): void {
    this.messages.push(item);
  }

  /**
   * A stall of kind `source` begins now (it may extend one under way): returns when the
   * loop runs again, and when the next stall of this kind begins; undefined when this kind
   * is over.
   */
  stall(source: number, nowMs: number): { endsAtMs: number; nextAtMs: number | undefined } | undefined {
    const drawn = this.sources[source]?.draw(nowMs);
    if (drawn === undefined) return undefined;
    this.stalledUntilMs = Math.max(this.stalledUntilMs, nowMs + drawn.lengthMs);
    this.worstSinceMeasureMs = Math.max(this.worstSinceMeasureMs, this.stalledUntilMs - nowMs);
    return { endsAtMs: this.stalledUntilMs, nextAtMs: drawn.nextAtMs };
  }

  /** What the stall held, in the order the loop runs it (timers, then messages), once it is over at `nowMs`; nothing before. */
  release(nowMs: number): T[] {
    if (this.stalled(nowMs)) return [];
    const held = [...this.timers, ...this.messages];
    this.timers = [];
    this.messages = [];
    return held;
  }

  /** The worst delay since the last call, as the driver's lag monitor reports it; then starts over. */
  takeWorstMs(): number {
    const worst = this.worstSinceMeasureMs;
    this.worstSinceMeasureMs = 0;
    return worst;
  }
}

/** Each stalling node's loop, by id, each kind of stall on each node with its own stream drawn from `seed`. */
export function stallingLoops<T>(ids: readonly string[], seed: number, options: StallOptions | readonly StallOptions[] | undefined): Map<string, StallingLoop<T>> {
  const loops = new Map<string, StallingLoop<T>>();
  if (options === undefined) return loops;
  const kinds: readonly StallOptions[] = Array.isArray(options) ? options : [options as StallOptions];
  for (const kind of kinds) for (const id of kind.nodes ?? []) if (!ids.includes(id)) throw new RangeError(`stalls name ${id}, not a simulated node`);
  const random = createRandom(seed ^ 0x57a1_1ed0);
  for (const id of ids) {
    const sources = kinds.map((kind) => {
      const stream = createRandom(random.int(2 ** 32));
      return (kind.nodes ?? ids).includes(id) ? new StallSource(kind, stream) : undefined;
    });
    if (sources.some((source) => source !== undefined)) loops.set(id, new StallingLoop<T>(sources));
  }
  return loops;
}

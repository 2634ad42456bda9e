import { createRandom, type Random } from '../../base/random.js';

/** A jump of one node's wall clock: NTP stepping it, an operator's `date -s`, the testnet's skew fault. */
export interface ClockStep {
  /** The node, by its id in its simulation (SWIM and scheduling: `n00`...; state: the replica's index as text). */
  node: string;
  /** The virtual time of the jump. */
  atMs: number;
  /** Forward if positive, back if negative. */
  byMs: number;
}

/**
 * Each simulated node's clock, as data (as TigerBeetle's simulator gives each replica its
 * own): an offset from true time, a drift that accumulates, and steps. Absent, every node
 * reads the virtual time itself, as before there were per-node clocks.
 */
export interface ClockOptions {
  /** Each node's wall clock starts up to this far from true time, either way (drawn per node). */
  maxOffsetMs?: number;
  /**
   * Each node's oscillator runs up to this many parts per million fast or slow (drawn per
   * node): both its clocks gain or lose that much, and its timers fire that much early or late.
   */
  maxDriftPpm?: number;
  /** Offsets by node id, instead of drawn ones: a test that needs one node far off. */
  offsetsMs?: Readonly<Record<string, number>>;
  /** Drifts by node id, in ppm, instead of drawn ones. */
  driftsPpm?: Readonly<Record<string, number>>;
  steps?: readonly ClockStep[];
  /**
   * Every node's wall clock also steps at random, on average once per `meanIntervalMs`:
   * each step sets it to a fresh error of up to `maxStepMs` either way (its offset and
   * scheduled steps aside), so the steps go forward and back and the error stays bounded.
   */
  randomSteps?: { meanIntervalMs: number; maxStepMs: number };
  /** The wall clock's reading at virtual time 0, before offsets (default: a date in 2027, so a reading is a plausible Date.now()). */
  epochMs?: number;
}

export const DEFAULT_CLOCK_EPOCH_MS = 1_800_000_000_000;

/**
 * One node's clocks. The wall clock (Date.now: what the scheduler, the agent and the HLC
 * read) is true time plus an offset, plus the drift accumulated since virtual time 0, plus
 * every step so far. The monotonic clock (CLOCK_MONOTONIC: what Node's timers count, the
 * SWIM machine, the majority lease and its fence keeper read) drifts with the same
 * oscillator but never steps. A timer set for `afterMs` counts on the monotonic clock, so
 * a node whose oscillator runs fast fires its timers early by true time.
 *
 * With no offset, drift or step the arithmetic is exact: every reading is the virtual
 * time, every timer its own length, so a run without clocks is the run it always was.
 */
export class NodeClock {
  /** Wall-clock steps in virtual-time order; random ones are drawn as time reaches them. */
  private readonly steps: { atMs: number; byMs: number }[];
  private readonly rate: number;
  /**
   * A timer due at all takes at least this long (1 µs; none on an exact clock). A machine
   * that re-arms until its own reading passes a deadline could otherwise re-arm for less
   * than virtual time can add (readings far smaller than the virtual time round finer),
   * and fire again at the same instant forever. Node fires no timer in under 1 ms.
   */
  private readonly minTimerMs: number;
  /** The steps before `cursor` are summed in `stepped`: readings come in virtual-time order. */
  private cursor = 0;
  private stepped = 0;
  private cursorAtMs = Number.NEGATIVE_INFINITY;
  private drawnUntilMs = Number.NEGATIVE_INFINITY;
  /** The sum of the random steps drawn so far. */
  private randomErrorMs = 0;

  constructor(
    readonly epochMs: number,
    readonly offsetMs: number,
    readonly driftPpm: number,
    steps: readonly { atMs: number; byMs: number }[] = [],
    private readonly randomSteps?: { random: Random; meanIntervalMs: number; maxStepMs: number },
    exact = false,
  ) {
    this.steps = [...steps].sort((a, b) => a.atMs - b.atMs);
    this.rate = 1 + driftPpm / 1e6;
    this.minTimerMs = exact ? 0 : 0.001;
    if (randomSteps !== undefined) this.drawnUntilMs = 0;
  }

  /** Reads the virtual time unchanged, and times every timer at its length. */
  static exact(): NodeClock {
    return new NodeClock(0, 0, 0, [], undefined, true);
  }

  /** The wall clock steps, or may (scheduled, random, or taken during the run). */
  get stepping(): boolean {
    return this.steps.length > 0 || this.randomSteps !== undefined;
  }

  /** The wall clock jumps by `byMs` at virtual time `atMs`, no earlier than the last reading. */
  step(atMs: number, byMs: number): void {
    if (atMs < this.cursorAtMs) throw new RangeError(`a clock step at ${atMs} ms, after a reading at ${this.cursorAtMs} ms`);
    this.insert({ atMs, byMs });
  }

  /** What Date.now() returns on this node at virtual time `virtualMs`. */
  wallMs(virtualMs: number): number {
    return this.epochMs + this.monotonicMs(virtualMs) + this.offsetMs + this.steppedBy(virtualMs);
  }

  /** The node's monotonic clock at virtual time `virtualMs`: it drifts, but never steps. */
  monotonicMs(virtualMs: number): number {
    return this.driftPpm === 0 ? virtualMs : virtualMs * this.rate;
  }

  /**
   * What performance.timeOrigin + performance.now() reads on this node (what its SWIM
   * machine runs on): the wall clock's reading at virtual time 0, carried on by the
   * monotonic clock, so it drifts but never steps. The wall clock is ahead of it by the
   * steps so far; on an exact clock both read the virtual time.
   */
  monotonicEpochMs(virtualMs: number): number {
    return this.epochMs + this.monotonicMs(virtualMs) + this.offsetMs;
  }

  /** How far the wall clock is ahead of monotonicEpochMs at virtual time `virtualMs`: every step so far, summed. */
  wallAheadMs(virtualMs: number): number {
    return this.steppedBy(virtualMs);
  }

  /** The virtual time a timer of `afterMs` by this node's clock takes to fire. */
  timerMs(afterMs: number): number {
    const virtualMs = this.driftPpm === 0 ? afterMs : afterMs / this.rate;
    return virtualMs > 0 ? Math.max(virtualMs, this.minTimerMs) : virtualMs;
  }

  /** The virtual time from `virtualMs` until monotonicEpochMs reads `monotonicEpochMs` (0 if it already does). */
  untilMonotonicEpochMs(virtualMs: number, monotonicEpochMs: number): number {
    const behindMs = monotonicEpochMs - this.monotonicEpochMs(virtualMs);
    return behindMs > 0 ? this.timerMs(behindMs) : 0;
  }

  /** Every step at or before `virtualMs`, summed. */
  private steppedBy(virtualMs: number): number {
    if (this.steps.length === 0 && this.randomSteps === undefined) return 0;
    this.drawSteps(virtualMs);
    if (virtualMs < this.cursorAtMs) {
      this.cursor = 0;
      this.stepped = 0;
    }
    this.cursorAtMs = virtualMs;
    for (let step = this.steps[this.cursor]; step !== undefined && step.atMs <= virtualMs; step = this.steps[++this.cursor]) this.stepped += step.byMs;
    return this.stepped;
  }

  private insert(step: { atMs: number; byMs: number }): void {
    let i = this.steps.length;
    while (i > this.cursor && (this.steps[i - 1] as { atMs: number }).atMs > step.atMs) i--;
    this.steps.splice(i, 0, step);
  }

  /** Random steps come from the node's own stream, one after another, so a run draws the same ones however often it reads. */
  private drawSteps(virtualMs: number): void {
    const draw = this.randomSteps;
    if (draw === undefined) return;
    while (this.drawnUntilMs <= virtualMs) {
      this.drawnUntilMs += -Math.log(1 - draw.random.next()) * draw.meanIntervalMs;
      const errorMs = Math.round((2 * draw.random.next() - 1) * draw.maxStepMs);
      // Later than every reading so far: it goes in among the scheduled steps still to come.
      this.insert({ atMs: this.drawnUntilMs, byMs: errorMs - this.randomErrorMs });
      this.randomErrorMs = errorMs;
    }
  }
}

/**
 * The clocks of a simulation's nodes, by id. Without options every node's clock is exact
 * and nothing is drawn, so the simulation's seeded stream (and every seeded run) is the
 * same as before. With options, offsets, drifts and random steps come from a stream of
 * their own, drawn from `seed`: turning clocks on leaves the simulation's stream alone.
 */
export function nodeClocks(ids: readonly string[], seed: number, options: ClockOptions | undefined): Map<string, NodeClock> {
  const clocks = new Map<string, NodeClock>();
  if (options === undefined) {
    for (const id of ids) clocks.set(id, NodeClock.exact());
    return clocks;
  }
  const random = createRandom(seed ^ 0x5eed_c10c);
  const spread = (max: number): number => (max > 0 ? (2 * random.next() - 1) * max : 0);
  for (const id of ids) {
    const offsetMs = spread(options.maxOffsetMs ?? 0);
    const driftPpm = spread(options.maxDriftPpm ?? 0);
    const steps = (options.steps ?? []).filter((s) => s.node === id);
    const randomSteps = options.randomSteps === undefined ? undefined : { ...options.randomSteps, random: createRandom(random.int(2 ** 32)) };
    clocks.set(id, new NodeClock(options.epochMs ?? DEFAULT_CLOCK_EPOCH_MS, options.offsetsMs?.[id] ?? offsetMs, options.driftsPpm?.[id] ?? driftPpm, steps, randomSteps));
  }
  for (const step of options.steps ?? []) if (!clocks.has(step.node)) throw new RangeError(`a clock step names ${step.node}, not a simulated node`);
  return clocks;
}

/** A node's clocks, for a failure message: a seed replays them, this says what they were. */
export function describeClock(id: string, clock: NodeClock): string {
  return `${id}: offset ${Math.round(clock.offsetMs)} ms, drift ${clock.driftPpm.toFixed(1)} ppm`;
}

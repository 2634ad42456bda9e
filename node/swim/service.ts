import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.js';
import { createRandom } from '../../base/random.js';
import {
  decode,
  encode,
  SwimMachine,
  type DecodeErrorCode,
  type Effect,
  type MemberEvent,
  type MemberId,
  type MemberRecord,
  type MemberSignatures,
  type SwimRefusal,
  type MemberView,
  type SwimConfig,
  eventOnWallClock,
  isReachableState,
  lagNoiseMs,
  lagTickMs,
  viewOnWallClock,
} from '../../protocol/swim/index.js';
import type { FrameTransport } from '../frame-transport.js';
import { eventLoopLag, type LoopLag } from './loop-lag.js';

export interface SwimServiceCounters {
  received: number;
  sent: number;
  dropped: Record<DecodeErrorCode, number>;
  /** Updates refused by the machine: forged signatures, accusations above a signed incarnation. */
  refused: Readonly<Record<SwimRefusal, number>>;
  /** Members this node has held dead since it started (declared by itself or learned). */
  deaths: number;
  /** Of those, members that came back alive: a false death, unless the member had crashed and restarted. */
  falseDeaths: number;
  /** The worst event-loop lag read since start, in ms: how starved this node has been (read with lag awareness off too). */
  worstLagMs: number;
}

export interface SwimServiceOptions {
  config: SwimConfig;
  self: MemberRecord;
  /** The node's own key signs its record and leave (node/swim/member-signatures.ts). */
  signatures: MemberSignatures;
  log: Logger;
  /**
   * The node's wall clock (node/wall-clock.ts): the incarnation the machine starts at, and
   * every time this service hands out (members, events), converted from the machine's.
   */
  clock: Clock;
  /**
   * The clock the machine runs on: monotonic, so a wall clock stepped forward cannot end a
   * suspicion early (default: performance.timeOrigin + performance.now(), host milliseconds
   * that never step). A test may give its own.
   */
  monotonicMs?: () => number;
  /**
   * Lag awareness (protocol/swim/lag.ts): the machine is told how late this node's event
   * loop runs, so a node that knows it is slow probes less, waits longer before it
   * suspects or declares others dead, and tells its peers, so they wait for it. On unless
   * the environment says SHOAL_SWIM_LAG_AWARENESS=off (Lifeguard as memberlist has it: a
   * way back should it misjudge a host, and the starvation bench's comparison).
   */
  lagAwareness?: boolean;
  /** Where the event loop's lag is read (default: a timer of its own at the preset's lagTickMs); a test may give its own. */
  loopLag?: LoopLag;
  onEvent?: (event: MemberEvent) => void;
}

/** One reading a probe period: over an hour of them at LAN timing. A node nobody scrapes keeps no more. */
const MAX_LAG_READINGS_KEPT = 4096;

/** SHOAL_SWIM_LAG_AWARENESS=off turns lag awareness off; anything else leaves it on. */
export const lagAwarenessFromEnv = (env: NodeJS.ProcessEnv = process.env): boolean => env.SHOAL_SWIM_LAG_AWARENESS !== 'off';

/**
 * Drives the pure SWIM machine with the host's monotonic clock, real timers and the libp2p
 * transport. All protocol decisions stay in protocol/swim; this only carries effects out,
 * and moves the machine's times onto the node's wall clock for everyone else.
 */
export class SwimService {
  readonly counters: SwimServiceCounters;
  private readonly machine: SwimMachine;
  /** Member changes this node has seen, by kind ('suspect', 'dead', ...). */
  readonly changes: Partial<Record<MemberEvent['change'], number>> = {};
  private readonly lastChange = new Map<MemberId, MemberEvent['change']>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private transport: FrameTransport | undefined;
  private stopped = false;
  private readonly monotonicMs: () => number;
  private readonly loopLag: LoopLag;
  private lagTimer: NodeJS.Timeout | undefined;
  /** Whether the last lag reading was worth a score, so the log says when the node starts and stops running late. */
  private lagging = false;
  /** The lag readings since the metrics last took them, in ms; at most MAX_LAG_READINGS_KEPT. */
  private lagReadingsMs: number[] = [];

  constructor(private readonly options: SwimServiceOptions) {
    this.monotonicMs = options.monotonicMs ?? (() => performance.timeOrigin + performance.now());
    const lagAwareness = options.lagAwareness ?? lagAwarenessFromEnv();
    this.loopLag = options.loopLag ?? eventLoopLag(lagTickMs(options.config.probeTimeoutMs));
    this.machine = new SwimMachine({
      config: options.config,
      self: options.self,
      signatures: options.signatures,
      random: createRandom(randomInt(2 ** 32)),
      // A restart must outrank what the cluster remembers of this node's previous life.
      incarnation: Math.floor(options.clock.nowMs() / 1000),
      lagAwareness,
    });
    this.counters = {
      received: 0,
      sent: 0,
      dropped: { oversized: 0, malformed: 0, 'too-deep': 0, version: 0, invalid: 0 },
      refused: this.machine.refused,
      deaths: 0,
      falseDeaths: 0,
      worstLagMs: 0,
    };
  }

  get id(): MemberId {
    return this.machine.id;
  }

  start(transport: FrameTransport): void {
    this.transport = transport;
    this.run(this.machine.start(this.monotonicMs()));
    this.loopLag.start();
    // Once a probe period: the machine also sees a stall in its own timers as they fire.
    // Off, the machine ignores the reading; the counters still show it.
    this.lagTimer = setInterval(() => this.reportLag(this.loopLag.takeWorstMs()), this.options.config.probeIntervalMs);
  }

  private reportLag(worstMs: number): void {
    if (this.stopped) return;
    const nowMs = this.monotonicMs();
    this.counters.worstLagMs = Math.max(this.counters.worstLagMs, Math.round(worstMs));
    if (this.lagReadingsMs.length < MAX_LAG_READINGS_KEPT) this.lagReadingsMs.push(worstMs);
    this.machine.reportLag(worstMs, nowMs);
    const lagMs = Math.round(this.machine.lagMs(nowMs));
    const lagging = lagMs > lagNoiseMs(this.options.config.probeTimeoutMs);
    if (lagging !== this.lagging) {
      this.lagging = lagging;
      if (lagging) this.options.log.info({ lagMs, worstMs: Math.round(worstMs), healthScore: this.machine.healthScore }, 'event loop runs late: SWIM waits longer');
      else this.options.log.info({ lagMs }, 'event loop back on time');
    }
  }

  /** Called by the transport for every inbound frame; bad frames are dropped and counted by code. */
  receive(from: MemberId, frame: Uint8Array): void {
    if (this.stopped) return;
    const decoded = decode(frame, this.options.config);
    if (!decoded.ok) {
      this.counters.dropped[decoded.error.code]++;
      this.options.log.debug({ from, code: decoded.error.code, detail: decoded.error.detail }, 'dropped SWIM message');
      return;
    }
    this.counters.received++;
    this.run(this.machine.handleMessage(from, decoded.value, this.monotonicMs()));
  }

  join(seeds: MemberId[]): void {
    this.run(this.machine.join(seeds));
  }

  /** Every member as this node sees it, `stateChangedAtMs` on the node's wall clock. */
  members(): MemberView[] {
    const wallAheadMs = this.wallAheadMs();
    return this.machine.members().map((view) => viewOnWallClock(view, wallAheadMs));
  }

  /** See SwimMachine.silentMembers. */
  silentMembers(): Set<MemberId> {
    return this.machine.silentMembers(this.monotonicMs());
  }

  /** See SwimMachine.census. */
  census(): void {
    if (!this.stopped) this.run(this.machine.census(this.monotonicMs()));
  }

  /** One member as this node sees it, `stateChangedAtMs` on the node's wall clock. */
  member(id: MemberId): MemberView | undefined {
    const view = this.machine.member(id);
    return view === undefined ? undefined : viewOnWallClock(view, this.wallAheadMs());
  }

  /** Whether `id` is a member held alive or suspect: one that may still answer. */
  isReachable(id: MemberId): boolean {
    const state = this.machine.member(id)?.state;
    return state !== undefined && isReachableState(state);
  }

  get liveCount(): number {
    return this.machine.liveCount;
  }

  /** For the metrics: probes, refutations, Lifeguard's local health score (0 is healthy) and the lag it reckons with (ms). */
  get stats(): { probes: number; probeFailures: number; refutations: number; healthScore: number; lagMs: number } {
    return { ...this.machine.stats, refutations: this.machine.refutations, healthScore: this.machine.healthScore, lagMs: this.machine.lagMs(this.monotonicMs()) };
  }

  /**
   * The event loop's worst delay in each probe period since the last call, in ms, as the
   * lag monitor read it for the machine: the node's one event-loop monitor, so the metrics
   * need no timer of their own.
   */
  takeLagReadings(): number[] {
    const taken = this.lagReadingsMs;
    this.lagReadingsMs = [];
    return taken;
  }

  /** See SwimMachine.takeProbeRoundTrips. */
  takeProbeRoundTrips(): number[] {
    return this.machine.takeProbeRoundTrips();
  }

  /** Announces this node's record anew (its addresses changed: a relay reservation made or lost) under a higher incarnation. */
  updateSelf(record: MemberRecord): void {
    if (!this.stopped) this.run(this.machine.updateSelf(record));
  }

  /** Members this node held dead that came back alive (see SwimServiceCounters.falseDeaths). */
  get falseDeaths(): number {
    return this.counters.falseDeaths;
  }

  /** Member changes by kind, and members declared dead that turned out alive (a false death). */
  private countChange(event: MemberEvent): void {
    this.changes[event.change] = (this.changes[event.change] ?? 0) + 1;
    if (event.change === 'dead') this.counters.deaths++;
    if (event.change === 'alive' && this.lastChange.get(event.id) === 'dead') this.counters.falseDeaths++;
    if (event.change === 'forgotten') this.lastChange.delete(event.id);
    else this.lastChange.set(event.id, event.change);
  }

  /**
   * Announces the leave and waits until those messages are delivered (at most a probe
   * timeout beyond the first gossip round), so members record "left", not "dead".
   */
  async leave(): Promise<void> {
    if (this.stopped) return;
    const deliveries = this.run(this.machine.leave(this.monotonicMs()));
    const { gossipIntervalMs, probeTimeoutMs } = this.options.config;
    await Promise.race([
      Promise.all([...deliveries, new Promise((resolve) => setTimeout(resolve, gossipIntervalMs))]),
      new Promise((resolve) => setTimeout(resolve, gossipIntervalMs + 4 * probeTimeoutMs)),
    ]);
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    clearInterval(this.lagTimer);
    this.loopLag.stop();
  }

  /** Carries effects out; returns the deliveries of the messages it sent. */
  private run(effects: Effect[]): Promise<boolean>[] {
    const deliveries: Promise<boolean>[] = [];
    for (const effect of effects) {
      switch (effect.type) {
        case 'send': {
          const addrs = this.machine.member(effect.to)?.record.addrs ?? [];
          this.counters.sent++;
          if (this.transport) deliveries.push(this.transport.send(effect.to, addrs, encode(effect.message)));
          break;
        }
        case 'timer': {
          if (this.stopped) break;
          const handle = setTimeout(() => {
            this.timers.delete(handle);
            if (!this.stopped) this.run(this.machine.handleTimer(effect.timer, this.monotonicMs()));
          }, effect.afterMs);
          this.timers.add(handle);
          break;
        }
        case 'event': {
          const event = eventOnWallClock(effect.event, this.wallAheadMs());
          this.countChange(event);
          this.options.log.info({ member: event.id, change: event.change, incarnation: event.incarnation }, 'member changed');
          this.options.onEvent?.(event);
          break;
        }
      }
    }
    return deliveries;
  }

  /** How far the node's wall clock is ahead of the machine's monotonic one now: what moves a machine time onto the wall clock. */
  private wallAheadMs(): number {
    return this.options.clock.nowMs() - this.monotonicMs();
  }
}

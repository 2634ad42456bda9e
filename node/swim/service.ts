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
  type MemberView,
  type SwimConfig,
} from '../../protocol/swim/index.js';
import type { FrameTransport } from '../frame-transport.js';

export interface SwimServiceCounters {
  received: number;
  sent: number;
  dropped: Record<DecodeErrorCode, number>;
}

export interface SwimServiceOptions {
  config: SwimConfig;
  self: MemberRecord;
  log: Logger;
  /** The node's wall clock (node/wall-clock.ts): every time handed to the machine, and the incarnation it starts at. */
  clock: Clock;
  onEvent?: (event: MemberEvent) => void;
}

/**
 * Drives the pure SWIM machine with the node's clock, real timers and the libp2p
 * transport. All protocol decisions stay in protocol/swim; this only carries effects out.
 */
export class SwimService {
  readonly counters: SwimServiceCounters = { received: 0, sent: 0, dropped: { oversized: 0, malformed: 0, 'too-deep': 0, version: 0, invalid: 0 } };
  private readonly machine: SwimMachine;
  /** Member changes this node has seen, by kind ('suspect', 'dead', ...). */
  readonly changes: Partial<Record<MemberEvent['change'], number>> = {};
  falseDeaths = 0;
  private readonly lastChange = new Map<MemberId, MemberEvent['change']>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private transport: FrameTransport | undefined;
  private stopped = false;

  constructor(private readonly options: SwimServiceOptions) {
    this.machine = new SwimMachine({
      config: options.config,
      self: options.self,
      random: createRandom(randomInt(2 ** 32)),
      // A restart must outrank what the cluster remembers of this node's previous life.
      incarnation: Math.floor(options.clock.nowMs() / 1000),
    });
  }

  get id(): MemberId {
    return this.machine.id;
  }

  start(transport: FrameTransport): void {
    this.transport = transport;
    this.run(this.machine.start());
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
    this.run(this.machine.handleMessage(from, decoded.value, this.options.clock.nowMs()));
  }

  join(seeds: MemberId[]): void {
    this.run(this.machine.join(seeds));
  }

  members(): MemberView[] {
    return this.machine.members();
  }

  /** See SwimMachine.silentMembers. */
  silentMembers(): Set<MemberId> {
    return this.machine.silentMembers(this.options.clock.nowMs());
  }

  /** See SwimMachine.census. */
  census(): void {
    if (!this.stopped) this.run(this.machine.census(this.options.clock.nowMs()));
  }

  member(id: MemberId): MemberView | undefined {
    return this.machine.member(id);
  }

  get liveCount(): number {
    return this.machine.liveCount;
  }

  /** For the metrics: probes, refutations and Lifeguard's local health score (0 is healthy). */
  get stats(): { probes: number; probeFailures: number; refutations: number; healthScore: number } {
    return { ...this.machine.stats, refutations: this.machine.refutations, healthScore: this.machine.healthScore };
  }

  /** See SwimMachine.takeProbeRoundTrips. */
  takeProbeRoundTrips(): number[] {
    return this.machine.takeProbeRoundTrips();
  }

  /** Member changes by kind, and members declared dead that turned out alive (a false death). */
  private countChange(event: MemberEvent): void {
    this.changes[event.change] = (this.changes[event.change] ?? 0) + 1;
    if (event.change === 'alive' && this.lastChange.get(event.id) === 'dead') this.falseDeaths++;
    if (event.change === 'forgotten') this.lastChange.delete(event.id);
    else this.lastChange.set(event.id, event.change);
  }

  /**
   * Announces the leave and waits until those messages are delivered (at most a probe
   * timeout beyond the first gossip round), so members record "left", not "dead".
   */
  async leave(): Promise<void> {
    if (this.stopped) return;
    const deliveries = this.run(this.machine.leave(this.options.clock.nowMs()));
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
            if (!this.stopped) this.run(this.machine.handleTimer(effect.timer, this.options.clock.nowMs()));
          }, effect.afterMs);
          this.timers.add(handle);
          break;
        }
        case 'event':
          this.countChange(effect.event);
          this.options.log.info({ member: effect.event.id, change: effect.event.change, incarnation: effect.event.incarnation }, 'member changed');
          this.options.onEvent?.(effect.event);
          break;
      }
    }
    return deliveries;
  }
}

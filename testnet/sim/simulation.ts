import { createRandom, type Random } from '../../base/random.js';
import { encodedBytes } from '../../protocol/swim/codec.js';
import {
  MemberDirectory,
  SwimMachine,
  eventOnWallClock,
  swimConfig,
  type Effect,
  type LearnedMember,
  type MemberEvent,
  type MemberId,
  type MemberRecord,
  type SwimConfig,
  type SwimMessage,
  type Timer,
} from '../../protocol/swim/index.js';
import { stallingLoops, type StallOptions, type StallingLoop } from './event-loop.js';
import { EventQueue } from './event-queue.js';
import { signedAtStart, standInSignatures } from './stand-in-signatures.js';
import { defaultFaults, Partition, type NetworkFaults } from './network.js';
import { describeClock, nodeClocks, type ClockOptions, type NodeClock } from './node-clock.js';

type SimEvent =
  | { kind: 'deliver'; from: MemberId; to: MemberId; generation: number; message: SwimMessage }
  | { kind: 'timer'; node: MemberId; generation: number; timer: Timer }
  /** The driver measures its event loop's lag and hands it to the machine, every probe interval (node/swim/service.ts). */
  | { kind: 'measure'; node: MemberId; generation: number }
  | { kind: 'action'; run: () => void };

interface SimNode {
  id: MemberId;
  record: MemberRecord;
  machine: SwimMachine | undefined;
  /** What the node reads for the time: its SwimMachine and its timers the monotonic clock, its incarnation and its events' times the wall clock. */
  clock: NodeClock;
  /** Bumped on crash and restart so the old life's timers and in-flight messages are void. */
  generation: number;
}

export interface SimulationOptions {
  seed: number;
  nodes: number;
  config?: SwimConfig;
  faults?: Partial<NetworkFaults>;
  /** Start with every member known to every member, instead of simulating the joins. */
  converged?: boolean;
  /** Encode each message to count bytes; off, the run is faster and counts only messages. */
  countBytes?: boolean;
  /**
   * Timers may fire up to this many ms before they are due by the node's clock, as Node's
   * do: it counts a timer on its loop clock, truncated to the millisecond, while the
   * machine reads a finer one (measured here: 28 of 2,000 timers fired 1 ms early).
   */
  timerEarlyMs?: number;
  /**
   * Each node's own clock (node-clock.ts): the machine reads the time as the daemon gives
   * it, from the monotonic clock (performance.timeOrigin + performance.now()), and sets its
   * timers by durations on the node's own oscillator; the events it reports carry times
   * on the node's wall clock. Absent, every node reads the virtual time.
   */
  clocks?: ClockOptions;
  /**
   * Event loops that stall (event-loop.ts): a stalled node runs nothing until the stall
   * ends, then its timers that came due, then the messages that arrived. Its driver
   * measures the stalls as the daemon measures its loop's lag, and reports them to its
   * machine every probe interval. Absent, no loop stalls and nothing is measured.
   */
  stalls?: StallOptions | readonly StallOptions[];
  /** Each machine's lag awareness (SwimMachineOptions.lagAwareness; on by default): off, Lifeguard as memberlist has it. */
  lagAwareness?: boolean;
  onEvent?: (node: MemberId, event: MemberEvent) => void;
}

export interface TrafficStats {
  messages: number;
  bytes: number;
  dropped: number;
}

/**
 * A discrete-event simulator that runs the SWIM machines unchanged on a virtual
 * network: virtual time, one seeded random source, latency, loss, partitions, crash
 * and restart. The same seed gives the same run, event for event.
 */
export class Simulation {
  readonly seed: number;
  readonly random: Random;
  readonly faults: NetworkFaults;
  readonly partition = new Partition();
  readonly traffic: TrafficStats = { messages: 0, bytes: 0, dropped: 0 };
  private readonly config: SwimConfig;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly nodes = new Map<MemberId, SimNode>();
  private readonly directory = new MemberDirectory();
  private readonly countBytes: boolean;
  private readonly onEvent: SimulationOptions['onEvent'];
  private readonly timerEarlyMs: number;
  private readonly loops: Map<MemberId, StallingLoop<SimEvent>>;
  private readonly lagAwareness: boolean | undefined;
  private now = 0;

  constructor(options: SimulationOptions) {
    this.seed = options.seed;
    this.random = createRandom(options.seed);
    this.config = options.config ?? swimConfig.lan();
    this.faults = { ...defaultFaults(), ...options.faults };
    this.countBytes = options.countBytes ?? true;
    this.onEvent = options.onEvent;
    this.timerEarlyMs = options.timerEarlyMs ?? 0;
    const width = String(options.nodes - 1).length;
    const ids = Array.from({ length: options.nodes }, (_, i) => `n${String(i).padStart(width, '0')}`);
    const clocks = nodeClocks(ids, options.seed, options.clocks);
    this.loops = stallingLoops(ids, options.seed, options.stalls);
    this.lagAwareness = options.lagAwareness;
    for (const [id, loop] of this.loops) {
      loop.firstStalls().forEach((atMs, kind) => atMs !== undefined && this.queue.push(atMs, { kind: 'action', run: () => this.stall(id, kind) }));
    }
    ids.forEach((id, i) => this.nodes.set(id, { id, record: simRecord(id, i), machine: undefined, clock: clocks.get(id) as NodeClock, generation: 0 }));
    const records = signedAtStart([...this.nodes.values()].map((n) => n.record));
    // Converged, every member already holds every other at incarnation 0 (learn); joining,
    // each announces its own, from its wall clock as the daemon's is.
    for (const node of this.nodes.values()) this.boot(node, options.converged ? 0 : this.incarnationOf(node), options.converged ? records : []);
    if (!options.converged) {
      const [seed] = this.ids();
      for (const node of this.nodes.values()) {
        if (node.id !== seed) this.at(this.random.int(this.config.probeIntervalMs), () => this.join(node.id, [seed as MemberId]));
      }
    }
  }

  get nowMs(): number {
    return this.now;
  }

  /** What node `id`'s wall clock reads now: what its incarnation and its events' times come from. */
  wallMsOf(id: MemberId): number {
    return this.node(id).clock.wallMs(this.now);
  }

  /** Node `id`'s wall clock jumps by `byMs` now (forward if positive); its machine and timers, on the monotonic clock, do not. */
  stepClock(id: MemberId, byMs: number): void {
    this.node(id).clock.step(this.now, byMs);
  }

  /** Each node's clock, for a failure message. */
  clocks(): string {
    return [...this.nodes.values()].map((n) => describeClock(n.id, n.clock)).join('; ');
  }

  ids(): MemberId[] {
    return [...this.nodes.keys()];
  }

  machine(id: MemberId): SwimMachine | undefined {
    return this.nodes.get(id)?.machine;
  }

  liveIds(): MemberId[] {
    return this.ids().filter((id) => this.nodes.get(id)?.machine !== undefined);
  }

  /** Runs `run` at virtual time `atMs`. */
  at(atMs: number, run: () => void): void {
    this.queue.push(Math.max(atMs, this.now), { kind: 'action', run });
  }

  join(id: MemberId, seeds: MemberId[]): void {
    const machine = this.machine(id);
    if (machine) this.execute(this.node(id), machine.join(seeds));
  }

  crash(id: MemberId): void {
    const node = this.node(id);
    node.machine = undefined;
    node.generation++;
  }

  /** A restarted member has lost its state and rejoins through `seeds`, with a higher incarnation. */
  restart(id: MemberId, seeds: MemberId[]): void {
    const node = this.node(id);
    node.generation++;
    this.boot(node, this.incarnationOf(node), []);
    this.join(id, seeds);
  }

  leave(id: MemberId): void {
    const node = this.node(id);
    if (node.machine) this.execute(node, node.machine.leave(this.machineMs(node)));
    this.at(this.now + 2 * this.config.gossipIntervalMs, () => this.crash(id));
  }

  /** Sends `message` as member `from`, outside its machine: a key holder that speaks for others. */
  sendAs(from: MemberId, to: MemberId, message: SwimMessage): void {
    this.transmit(from, to, message);
  }

  /** Advances virtual time to `untilMs`, running every event due by then. */
  run(untilMs: number): void {
    this.queue.drainUntil(untilMs, (event, time) => {
      this.now = time;
      this.dispatch(event);
    });
    this.now = untilMs;
  }

  /** A replay line for failure messages. */
  replay(): string {
    return `seed=${this.seed} (rerun with SHOAL_SIM_SEED=${this.seed})`;
  }

  private dispatch(event: SimEvent): void {
    if (event.kind === 'action') return event.run();
    const id = event.kind === 'deliver' ? event.to : event.node;
    const node = this.nodes.get(id);
    if (node?.machine === undefined || node.generation !== event.generation) return;
    const loop = this.loops.get(id);
    if (loop?.stalled(this.now)) {
      if (event.kind === 'deliver') loop.holdMessage(event);
      else loop.holdTimer(event);
      return;
    }
    const nowMs = this.machineMs(node);
    if (event.kind === 'measure') {
      node.machine.reportLag(loop?.takeWorstMs() ?? 0, nowMs);
      this.measureLater(node);
      return;
    }
    const effects = event.kind === 'deliver' ? node.machine.handleMessage(event.from, event.message, nowMs) : node.machine.handleTimer(event.timer, nowMs);
    this.execute(node, effects);
  }

  /** A stall of `id`'s loop, of the given kind, begins now; when the loop runs again, it runs what it held. */
  private stall(id: MemberId, kind: number): void {
    const loop = this.loops.get(id) as StallingLoop<SimEvent>;
    const stall = loop.stall(kind, this.now);
    if (stall === undefined) return;
    this.queue.push(stall.endsAtMs, {
      kind: 'action',
      run: () => {
        for (const held of loop.release(this.now)) this.dispatch(held);
      },
    });
    const { nextAtMs } = stall;
    if (nextAtMs !== undefined) this.queue.push(nextAtMs, { kind: 'action', run: () => this.stall(id, kind) });
  }

  /** The driver's lag measurement, a probe interval from now by the node's clock (only on nodes whose loops stall). */
  private measureLater(node: SimNode): void {
    if (!this.loops.has(node.id)) return;
    this.queue.push(this.now + node.clock.timerMs(this.config.probeIntervalMs), { kind: 'measure', node: node.id, generation: node.generation });
  }

  /** What node's machine is given for the time, as the daemon gives it: its monotonic clock. */
  private machineMs(node: SimNode): number {
    return node.clock.monotonicEpochMs(this.now);
  }

  /** The daemon's rule: the wall clock's second, so a clock set back restarts a member lower than it ran (it then refutes its death). */
  private incarnationOf(node: SimNode): number {
    return Math.max(0, Math.floor(node.clock.wallMs(this.now) / 1000));
  }

  private boot(node: SimNode, incarnation: number, known: readonly LearnedMember[]): void {
    node.machine = new SwimMachine({
      config: this.config,
      self: node.record,
      signatures: standInSignatures(node.id),
      random: createRandom(this.random.int(2 ** 32)),
      incarnation,
      directory: this.directory,
      ...(this.lagAwareness === undefined ? {} : { lagAwareness: this.lagAwareness }),
    });
    node.machine.learn(known, this.machineMs(node));
    this.execute(node, node.machine.start(this.machineMs(node)));
    this.measureLater(node);
  }

  private execute(node: SimNode, effects: Effect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case 'send':
          this.transmit(node.id, effect.to, effect.message);
          break;
        case 'timer': {
          const early = this.timerEarlyMs > 0 ? this.random.int(this.timerEarlyMs + 1) : 0;
          const afterMs = node.clock.timerMs(Math.max(0, effect.afterMs - early));
          this.queue.push(this.now + afterMs, { kind: 'timer', node: node.id, generation: node.generation, timer: effect.timer });
          break;
        }
        case 'event':
          // On the node's wall clock, as the daemon logs and reports them.
          this.onEvent?.(node.id, eventOnWallClock(effect.event, node.clock.wallAheadMs(this.now)));
          break;
      }
    }
  }

  private transmit(from: MemberId, to: MemberId, message: SwimMessage): void {
    this.traffic.messages++;
    if (this.countBytes) this.traffic.bytes += encodedBytes(message);
    const target = this.nodes.get(to);
    if (target === undefined || !this.partition.connected(from, to) || this.random.next() < this.faults.lossRate) {
      this.traffic.dropped++;
      return;
    }
    const delay = Math.max(0, this.faults.latency(this.random));
    this.queue.push(this.now + delay, { kind: 'deliver', from, to, generation: target.generation, message });
  }

  private node(id: MemberId): SimNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new RangeError(`no simulated node ${id}`);
    return node;
  }
}

function simRecord(id: MemberId, i: number): MemberRecord {
  return {
    id,
    addrs: [`/ip4/10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/tcp/7946`],
    labels: { zone: `z${i % 3}` },
    capacity: { cpuMillis: 4000, memoryBytes: 8 * 1024 ** 3 },
    version: '0.1.0',
  };
}

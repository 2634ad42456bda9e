import { createRandom } from '../../../base/random.js';
import type { NodeInfo } from '../../../protocol/scheduler/view.js';
import {
  MemberDirectory,
  SwimMachine,
  viewOnWallClock,
  type Effect,
  type LearnedMember,
  type MemberRecord,
  type SwimConfig,
  type SwimMessage,
  type Timer,
} from '../../../protocol/swim/index.js';
import type { Latency } from '../network.js';
import { signedAtStart, standInSignatures } from '../stand-in-signatures.js';
import type { MembershipModel, MembershipPorts } from './membership.js';

interface SwimNode {
  record: MemberRecord;
  machine: SwimMachine | undefined;
  /** Bumped on crash and restart so the old life's timers and in-flight messages are void. */
  generation: number;
  view: ReadonlyMap<string, NodeInfo>;
  stale: boolean;
  /** How far the node's wall clock was ahead of its machine's (monotonic) clock when `view` was made: a step since makes it stale. */
  viewWallAheadMs: number;
}

/**
 * Membership from the real SWIM machines, one per node, on the simulation's network:
 * a cut or a crash drops their messages, and each side finds out at the pace the
 * protocol (Lifeguard's local health included) sets for it. A node's view is what the
 * daemon hands its scheduler: every member's state and when it last changed. As in the
 * daemon (node/swim/service.ts), each machine runs on its node's monotonic clock, and
 * the times in the view are moved onto the node's wall clock.
 */
export class SwimMembership implements MembershipModel {
  /** SWIM messages sent, delivered or not. */
  messages = 0;
  private readonly nodes = new Map<string, SwimNode>();
  private readonly directory = new MemberDirectory();

  constructor(
    members: readonly NodeInfo[],
    private readonly ports: MembershipPorts,
    private readonly config: SwimConfig,
    private readonly latency: Latency,
  ) {
    const records = members.map((m): MemberRecord => ({ id: m.id, addrs: [], labels: { ...m.labels }, capacity: m.capacity, version: 'sim' }));
    const signed = signedAtStart(records);
    for (const record of records) {
      const node: SwimNode = { record, machine: undefined, generation: 0, view: new Map(), stale: true, viewWallAheadMs: 0 };
      this.nodes.set(record.id, node);
      this.boot(node, 0, signed);
    }
  }

  viewOf(observer: string): ReadonlyMap<string, NodeInfo> {
    const node = this.node(observer);
    const silent = node.machine?.silentMembers(this.machineMsOf(observer)) ?? new Set<string>();
    const wallAheadMs = this.wallAheadMsOf(observer);
    if ((node.stale || wallAheadMs !== node.viewWallAheadMs || silenceChanged(node.view, silent)) && node.machine !== undefined) {
      node.view = new Map(
        node.machine.members().map((m) => {
          const view = viewOnWallClock(m, wallAheadMs);
          const info: NodeInfo = {
            id: m.record.id,
            state: m.state,
            labels: m.record.labels,
            capacity: m.record.capacity,
            stateChangedAtMs: view.stateChangedAtMs,
            cordoned: false,
            draining: false,
            silent: silent.has(m.record.id),
          };
          return [m.record.id, info];
        }),
      );
      node.stale = false;
      node.viewWallAheadMs = wallAheadMs;
    }
    return node.view;
  }

  /** The machines learn of cuts and crashes only by the messages that stop arriving. */
  worldChanged(): void {}

  crashed(id: string): void {
    const node = this.node(id);
    node.machine = undefined;
    node.generation++;
  }

  /** A restarted node has lost its member list and joins through every other node, above its old incarnation. */
  restarted(id: string): void {
    const node = this.node(id);
    node.generation++;
    this.boot(node, node.generation * 1_000_000, []);
    const machine = node.machine as SwimMachine;
    this.execute(node, machine.join([...this.nodes.keys()].filter((other) => other !== id)));
  }

  census(id: string): void {
    const node = this.node(id);
    if (node.machine !== undefined) this.execute(node, node.machine.census(this.machineMsOf(id)));
  }

  private boot(node: SwimNode, incarnation: number, known: readonly LearnedMember[]): void {
    const machine = new SwimMachine({
      config: this.config,
      self: node.record,
      signatures: standInSignatures(node.record.id),
      random: createRandom(this.ports.random.int(2 ** 32)),
      incarnation,
      directory: this.directory,
    });
    machine.learn(known, this.machineMsOf(node.record.id));
    node.machine = machine;
    node.stale = true;
    this.execute(node, machine.start());
  }

  private execute(node: SwimNode, effects: readonly Effect[]): void {
    const { generation } = node;
    const id = node.record.id;
    const clock = this.ports.clockOf(id);
    for (const effect of effects) {
      if (effect.type === 'send') {
        this.transmit(id, effect.to, effect.message);
        // Silence comes with time, not with an event: the scheduler must tick when it may
        // start, a probe period later by the node's monotonic clock (the machine's reading).
        if (effect.message.type === 'ping' || effect.message.type === 'ping-req') {
          const silentAtMs = clock.monotonicEpochMs(this.ports.now()) + this.config.probeIntervalMs;
          this.ports.at(this.ports.now() + clock.timerMs(this.config.probeIntervalMs), () => this.checkSilence(node, generation, silentAtMs));
        }
      } else if (effect.type === 'timer') this.ports.at(this.ports.now() + clock.timerMs(effect.afterMs), () => this.onTimer(node, generation, effect.timer));
      else {
        node.stale = true;
        this.ports.changed(id);
      }
    }
  }

  private checkSilence(node: SwimNode, generation: number, silentAtMs: number): void {
    if (node.generation !== generation || node.machine === undefined) return;
    const id = node.record.id;
    // A drifting clock's rounding may leave it just short of the time: look again when it is there.
    const waitMs = this.ports.clockOf(id).untilMonotonicEpochMs(this.ports.now(), silentAtMs);
    if (waitMs > 0) {
      // At least a microsecond on: the rounding must not bring it back at the same instant.
      this.ports.at(this.ports.now() + Math.max(waitMs, 0.001), () => this.checkSilence(node, generation, silentAtMs));
      return;
    }
    if (silenceChanged(node.view, node.machine.silentMembers(this.machineMsOf(id)))) this.ports.changed(id);
  }

  private onTimer(node: SwimNode, generation: number, timer: Timer): void {
    if (node.generation !== generation || node.machine === undefined) return;
    this.execute(node, node.machine.handleTimer(timer, this.machineMsOf(node.record.id)));
  }

  /** What the node's monotonic clock reads now: the time its machine is given, as the daemon gives it performance.timeOrigin + performance.now(). */
  private machineMsOf(id: string): number {
    return this.ports.clockOf(id).monotonicEpochMs(this.ports.now());
  }

  /** How far the node's wall clock is ahead of its machine's now (its steps so far): what moves a machine time onto the wall clock. */
  private wallAheadMsOf(id: string): number {
    return this.ports.clockOf(id).wallAheadMs(this.ports.now());
  }

  private transmit(from: string, to: string, message: SwimMessage): void {
    this.messages++;
    if (!this.ports.world.reaches(from, to)) return;
    const target = this.node(to);
    const { generation } = target;
    this.ports.at(this.ports.now() + this.latency(this.ports.random), () => {
      // A message in flight when the cut came is lost with it.
      if (target.generation !== generation || target.machine === undefined || !this.ports.world.reaches(from, to)) return;
      this.execute(target, target.machine.handleMessage(from, message, this.machineMsOf(to)));
    });
  }

  private node(id: string): SwimNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new RangeError(`no simulated node ${id}`);
    return node;
  }
}

const silenceChanged = (view: ReadonlyMap<string, NodeInfo>, silent: ReadonlySet<string>): boolean => {
  for (const info of view.values()) if ((info.silent === true) !== silent.has(info.id)) return true;
  return false;
};

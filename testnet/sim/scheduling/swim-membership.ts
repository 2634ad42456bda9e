import { createRandom } from '../../../base/random.js';
import type { NodeInfo } from '../../../protocol/scheduler/view.js';
import { MemberDirectory, SwimMachine, type Effect, type MemberRecord, type SwimConfig, type SwimMessage, type Timer } from '../../../protocol/swim/index.js';
import type { Latency } from '../network.js';
import type { MembershipModel, MembershipPorts } from './membership.js';

interface SwimNode {
  record: MemberRecord;
  machine: SwimMachine | undefined;
  /** Bumped on crash and restart so the old life's timers and in-flight messages are void. */
  generation: number;
  view: ReadonlyMap<string, NodeInfo>;
  stale: boolean;
}

/**
 * Membership from the real SWIM machines, one per node, on the simulation's network:
 * a cut or a crash drops their messages, and each side finds out at the pace the
 * protocol (Lifeguard's local health included) sets for it. A node's view is what the
 * daemon hands its scheduler: every member's state and when it last changed.
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
    for (const record of records) {
      const node: SwimNode = { record, machine: undefined, generation: 0, view: new Map(), stale: true };
      this.nodes.set(record.id, node);
      this.boot(node, 0, records);
    }
  }

  viewOf(observer: string): ReadonlyMap<string, NodeInfo> {
    const node = this.node(observer);
    const silent = node.machine?.silentMembers(this.wallMsOf(observer)) ?? new Set<string>();
    if ((node.stale || silenceChanged(node.view, silent)) && node.machine !== undefined) {
      node.view = new Map(
        node.machine.members().map((m) => {
          const info: NodeInfo = {
            id: m.record.id,
            state: m.state,
            labels: m.record.labels,
            capacity: m.record.capacity,
            stateChangedAtMs: m.stateChangedAtMs,
            cordoned: false,
            draining: false,
            silent: silent.has(m.record.id),
          };
          return [m.record.id, info];
        }),
      );
      node.stale = false;
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
    if (node.machine !== undefined) this.execute(node, node.machine.census(this.wallMsOf(id)));
  }

  private boot(node: SwimNode, incarnation: number, known: readonly MemberRecord[]): void {
    const machine = new SwimMachine({ config: this.config, self: node.record, random: createRandom(this.ports.random.int(2 ** 32)), incarnation, directory: this.directory });
    machine.learn(known, this.wallMsOf(node.record.id));
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
        // start, a probe period later by the node's wall clock (the machine's reading).
        if (effect.message.type === 'ping' || effect.message.type === 'ping-req') {
          const silentAtWallMs = clock.wallMs(this.ports.now()) + this.config.probeIntervalMs;
          this.ports.at(this.ports.now() + clock.timerMs(this.config.probeIntervalMs), () => this.checkSilence(node, generation, silentAtWallMs));
        }
      } else if (effect.type === 'timer') this.ports.at(this.ports.now() + clock.timerMs(effect.afterMs), () => this.onTimer(node, generation, effect.timer));
      else {
        node.stale = true;
        this.ports.changed(id);
      }
    }
  }

  private checkSilence(node: SwimNode, generation: number, silentAtWallMs: number): void {
    if (node.generation !== generation || node.machine === undefined) return;
    const id = node.record.id;
    // A wall clock set back since the ping (or slow) has not reached the time yet: look again when it will.
    const waitMs = this.ports.clockOf(id).untilWallMs(this.ports.now(), silentAtWallMs);
    if (waitMs > 0) {
      // At least a microsecond on: a drifting clock's rounding must not bring it back at the same instant.
      this.ports.at(this.ports.now() + Math.max(waitMs, 0.001), () => this.checkSilence(node, generation, silentAtWallMs));
      return;
    }
    if (silenceChanged(node.view, node.machine.silentMembers(this.wallMsOf(id)))) this.ports.changed(id);
  }

  private onTimer(node: SwimNode, generation: number, timer: Timer): void {
    if (node.generation !== generation || node.machine === undefined) return;
    this.execute(node, node.machine.handleTimer(timer, this.wallMsOf(node.record.id)));
  }

  /** What the node's wall clock reads now: the time its machine is given, as the daemon gives it Date.now(). */
  private wallMsOf(id: string): number {
    return this.ports.clockOf(id).wallMs(this.ports.now());
  }

  private transmit(from: string, to: string, message: SwimMessage): void {
    this.messages++;
    if (!this.ports.world.reaches(from, to)) return;
    const target = this.node(to);
    const { generation } = target;
    this.ports.at(this.ports.now() + this.latency(this.ports.random), () => {
      // A message in flight when the cut came is lost with it.
      if (target.generation !== generation || target.machine === undefined || !this.ports.world.reaches(from, to)) return;
      this.execute(target, target.machine.handleMessage(from, message, this.wallMsOf(to)));
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

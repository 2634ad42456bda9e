import { keeperStep, type MajorityLease } from '../../../protocol/agent/majority-fence.js';
import { MajorityLeaseHolder } from '../../../protocol/agent/majority-lease.js';
import { slotKey } from '../../../protocol/auction/slot.js';
import { createRandom, type Random } from '../../../base/random.js';
import { schedulerConfig, type SchedulerConfig } from '../../../protocol/scheduler/config.js';
import { censusDue } from '../../../protocol/scheduler/majority-evidence.js';
import { planCluster, type Plan } from '../../../protocol/scheduler/plan.js';
import { Scheduler, type Answer, type SchedulerEffect } from '../../../protocol/scheduler/scheduler.js';
import type { ClusterView, NodeInfo, WorkloadInfo } from '../../../protocol/scheduler/view.js';
import { EventQueue } from '../event-queue.js';
import { describeClock, nodeClocks, type NodeClock } from '../node-clock.js';
import { AgentModel } from './agent.js';
import { DocumentReplica, type DocumentOp } from './document.js';
import { DocumentGossip, type Delivery } from './gossip.js';
import { defaultSchedulingFaults, type SchedulingFaults } from './faults.js';
import { DelayedMembership } from './delayed-membership.js';
import type { MembershipModel, MembershipPorts } from './membership.js';
import { SwimMembership } from './swim-membership.js';
import { afterTick, freshIdle, needsTick } from '../../../protocol/scheduler/idle.js';
import { defaultNodeSpec, simNodeInfo, type SimNode } from './node.js';
import type { SchedulingSimulationOptions, SchedulingTraffic } from './options.js';
import { World } from './world.js';

type SimEvent =
  | { kind: 'tick'; node: string; generation: number }
  | { kind: 'answers'; from: string; to: string; generation: number; answers: Answer[] }
  | { kind: 'merge'; delivery: Delivery }
  | { kind: 'sample' }
  | { kind: 'action'; run: () => void };

/**
 * The schedulers, unchanged, on a virtual network: every node has its own document
 * replica (a write reaches others after a seeded latency, and across a cut only after
 * the heal) and its own membership view (crashes and cuts are noticed after a detection
 * delay, or by the real SWIM machines when `swim` is given). An agent model runs what
 * each node desires, with the daemon's majority lease, and a fence keeper model removes
 * a node's `majority` replicas when the lease's record runs out, whether the daemon
 * runs, hangs behind a cut or has crashed. The same seed gives the same run.
 */
export class SchedulingSimulation {
  readonly seed: number;
  readonly random: Random;
  readonly config: SchedulerConfig;
  readonly tickMs: number;
  readonly faults: SchedulingFaults;
  readonly world = new World();
  readonly agent: AgentModel;
  readonly traffic: SchedulingTraffic = { answerMessages: 0, answers: 0, answersLost: 0, claimWrites: 0, statusWrites: 0, ticks: 0, skippedTicks: 0 };
  /** First winning claim of each (slot, epoch), by `<slot>@<epoch>`. */
  readonly placedAtMs = new Map<string, number>();
  /** Samples, one per tick period, at which some slot ran on more than one node. */
  readonly duplicateSamples: { atMs: number; slots: number }[] = [];
  /** `majority` replicas an agent started after its fence keeper had removed one, before the node saw a majority again. */
  readonly fencedStarts: { atMs: number; node: string; slot: string }[] = [];
  private readonly queue = new EventQueue<SimEvent>();
  private readonly nodes = new Map<string, SimNode>();
  private readonly capacities = new Map<string, NodeInfo['capacity']>();
  private readonly membership: MembershipModel;
  private readonly gossip: DocumentGossip;
  private now = 0;

  constructor(private readonly options: SchedulingSimulationOptions) {
    this.seed = options.seed;
    this.agent = new AgentModel(options.failsToStart);
    this.random = createRandom(options.seed);
    this.config = options.config ?? schedulerConfig.lan();
    this.tickMs = options.tickMs ?? 100;
    this.faults = { ...defaultSchedulingFaults(), ...options.faults };
    const width = String(options.nodes - 1).length;
    const infos = Array.from({ length: options.nodes }, (_, i) => simNodeInfo(`n${String(i).padStart(width, '0')}`, options.node?.(i) ?? defaultNodeSpec(i)));
    const clocks = nodeClocks(
      infos.map((info) => info.id),
      options.seed,
      options.clocks,
    );
    const ports: MembershipPorts = {
      world: this.world,
      random: this.random,
      now: () => this.now,
      clockOf: (id) => clocks.get(id) as NodeClock,
      at: (atMs, run) => this.at(atMs, run),
      changed: (observer) => {
        const node = this.nodes.get(observer);
        if (node !== undefined) node.idle.dirty = true;
      },
    };
    this.membership = options.swim === undefined ? new DelayedMembership(infos, ports, this.faults) : new SwimMembership(infos, ports, options.swim, this.faults.answerLatency);
    this.gossip = new DocumentGossip({
      world: this.world,
      random: this.random,
      latency: this.faults.documentLatency,
      repairLatency: this.faults.repairLatency,
      ids: () => this.nodes.keys(),
      schedule: (atMs, delivery) => this.queue.push(atMs, { kind: 'merge', delivery }),
      merge: (to, ops) => this.mergeAt(this.node(to), ops),
    });
    for (const info of infos) {
      this.capacities.set(info.id, info.capacity);
      const clock = clocks.get(info.id) as NodeClock;
      this.nodes.set(info.id, {
        id: info.id,
        scheduler: this.newScheduler(info.id, clock.wallMs(this.now)),
        document: new DocumentReplica(),
        generation: 0,
        idle: freshIdle(),
        censusAtMs: Number.NEGATIVE_INFINITY,
        lease: new MajorityLeaseHolder(this.config.fenceMs, 0),
        keeper: { record: undefined, removed: new Set(), removedAtMs: Number.NEGATIVE_INFINITY },
        fencedSinceMs: undefined,
        syncing: false,
        clock,
        stampMs: Number.NEGATIVE_INFINITY,
      });
      this.queue.push(this.random.int(this.tickMs), { kind: 'tick', node: info.id, generation: 0 });
    }
    this.queue.push(this.tickMs, { kind: 'sample' });
  }

  get nowMs(): number {
    return this.now;
  }

  ids(): string[] {
    return [...this.nodes.keys()];
  }

  liveIds(): string[] {
    return this.ids().filter((id) => this.world.isUp(id));
  }

  /** SWIM messages sent so far, when the real machines run membership. */
  get membershipMessages(): number | undefined {
    return this.membership instanceof SwimMembership ? this.membership.messages : undefined;
  }

  capacityOf(id: string): NodeInfo['capacity'] | undefined {
    return this.capacities.get(id);
  }

  viewOf(id: string): ClusterView {
    return this.node(id).document.view(this.membership.viewOf(id));
  }

  /** Where `id` would place every slot now, planned afresh from its view. */
  planOf(id: string): Plan {
    return planCluster(this.viewOf(id), this.wallMsOf(this.node(id)), this.config);
  }

  /**
   * Node `id`'s wall clock jumps by `byMs` now (forward if positive); its monotonic clock,
   * the lease's and its ticks', does not. From then on the node ticks every `tickMs`;
   * before, it may have skipped idle ticks, which the daemon never does: a test that
   * steps a clock during the run sets `skipIdleTicks: false` to match it throughout.
   */
  stepClock(id: string, byMs: number): void {
    this.node(id).clock.step(this.now, byMs);
  }

  /** Each node's clock, for a failure message. */
  clocks(): string {
    return [...this.nodes.values()].map((n) => describeClock(n.id, n.clock)).join('; ');
  }

  /** The plan of the node's last tick: free to read, and current unless its view changed since. */
  lastPlanOf(id: string): Plan | undefined {
    return this.node(id).scheduler.currentPlan;
  }

  /** An operator writes these workloads through `origin`; the others learn them as any write. */
  apply(workloads: readonly WorkloadInfo[], origin = this.ids()[0] as string): void {
    this.write(
      this.node(origin),
      workloads.map((workload) => ({ kind: 'workload', workload })),
    );
  }

  at(atMs: number, run: () => void): void {
    this.queue.push(Math.max(atMs, this.now), { kind: 'action', run });
  }

  run(untilMs: number): void {
    this.queue.drainUntil(untilMs, (event, time) => {
      this.now = time;
      this.dispatch(event);
    });
    this.now = untilMs;
  }

  /**
   * The daemon dies; its containers keep running unless the whole machine went down. Its
   * fence keeper removes the `majority` ones when the lease the daemon last wrote runs out.
   */
  crash(id: string, options: { replicasKeepRunning: boolean } = { replicasKeepRunning: true }): void {
    const node = this.node(id);
    ++node.generation;
    this.world.setUp(id, false);
    this.membership.crashed(id);
    if (!options.replicasKeepRunning) this.agent.stopAll(id);
    this.membership.worldChanged([id]);
  }

  /**
   * The daemon starts again from its stored document, with a fresh scheduler; its
   * containers are as it left them. While it still runs `majority` replicas its lease
   * record holds when it last saw a majority, and its fence starts from there.
   */
  restart(id: string): void {
    const node = this.node(id);
    node.generation++;
    this.world.setUp(id, true);
    const record = node.keeper.record;
    const monotonicMs = this.monotonicMsOf(node);
    const seenMajorityAtMs = record !== undefined && this.agent.majorityReplicas(id).length > 0 ? record.seenMajorityAtMs : monotonicMs;
    node.lease = new MajorityLeaseHolder(this.config.fenceMs, seenMajorityAtMs);
    // The record is on the monotonic clock; the scheduler reads the wall clock (MajorityFence.majoritySeenAtWallMs).
    node.scheduler = this.newScheduler(id, seenMajorityAtMs + (this.wallMsOf(node) - monotonicMs));
    node.idle = freshIdle();
    node.syncing = false;
    this.membership.restarted(id);
    this.queue.push(this.now + this.random.int(this.tickMs), { kind: 'tick', node: id, generation: node.generation });
    this.membership.worldChanged([id]);
    this.gossip.release(this.now);
  }

  /**
   * A false death: the others' membership views mark the live node `id` dead (after the
   * detection delay), as SWIM does a node too starved to answer its probes, while it runs
   * on, reaches and is reached; `refuted` ends it. The SWIM machines decide deaths by their
   * own messages, so this needs the delay model.
   */
  falselyDead(id: string): void {
    this.setFalseDeath(id, true);
  }

  /** The false death of `id` ends: its refutation reaches the others (after the rejoin delay). */
  refuted(id: string): void {
    this.setFalseDeath(id, false);
  }

  private setFalseDeath(id: string, dead: boolean): void {
    if (this.options.swim !== undefined) throw new RangeError('a false death is a fault of the delay membership model; SWIM finds its own');
    this.world.setFalselyDead(id, dead);
    this.membership.worldChanged([id]);
  }

  split(groups: readonly (readonly string[])[]): void {
    this.world.partition.split(groups);
    this.membership.worldChanged(this.ids());
  }

  heal(): void {
    this.world.partition.heal();
    this.membership.worldChanged(this.ids());
    this.gossip.release(this.now);
  }

  replay(): string {
    return `seed=${this.seed}; replay with SHOAL_SIM_SEED=${this.seed} ${this.options.replayCommand ?? 'node scripts/run-tests.mjs sim/scheduling'}`;
  }

  private newScheduler(id: string, majoritySeenAtMs: number): Scheduler {
    return new Scheduler(id, this.config, createRandom(this.random.int(2 ** 32)), majoritySeenAtMs);
  }

  /** What the node's wall clock reads now: Date.now() in the daemon. */
  private wallMsOf(node: SimNode): number {
    return node.clock.wallMs(this.now);
  }

  /** What the node's monotonic clock reads now: the lease's and the fence keeper's clock. */
  private monotonicMsOf(node: SimNode): number {
    return node.clock.monotonicMs(this.now);
  }

  /** A stamp for a write by the node: its wall clock, or just after its last stamp when the clock went back (the HLC's rule). */
  private stampOf(node: SimNode): number {
    const wallMs = this.wallMsOf(node);
    node.stampMs = wallMs >= node.stampMs ? wallMs : node.stampMs + 0.001;
    return node.stampMs;
  }

  private dispatch(event: SimEvent): void {
    switch (event.kind) {
      case 'tick':
        return this.tick(event.node, event.generation);
      case 'answers':
        return this.deliverAnswers(event);
      case 'merge':
        return this.gossip.arrive(event.delivery);
      case 'sample':
        this.queue.push(this.now + this.tickMs, event);
        this.runKeepers();
        if (this.agent.duplicates > 0) this.duplicateSamples.push({ atMs: this.now, slots: this.agent.duplicates });
        return;
      case 'action':
        return event.run();
    }
  }

  private tick(id: string, generation: number): void {
    const node = this.node(id);
    if (generation !== node.generation) return;
    this.queue.push(this.now + node.clock.timerMs(this.tickMs), { kind: 'tick', node: id, generation });
    this.takeCensus(node);
    this.syncWhileCatchingUp(node);
    const nowMs = this.wallMsOf(node);
    if (this.options.skipIdleTicks !== false && !node.clock.stepping && !node.scheduler.catchingUp && !needsTick(node.idle, nowMs)) {
      this.traffic.skippedTicks++;
      if (node.idle.fenceWatch) this.runAgent(node);
      return;
    }
    this.traffic.ticks++;
    const effects = node.scheduler.tick(this.viewOf(id), nowMs);
    if (node.scheduler.currentPlan?.hasMajority === true) this.writeLease(node, node.lease.sawMajority(this.monotonicMsOf(node)));
    afterTick(node.idle, node.scheduler.currentPlan as Plan, node.scheduler.fenced(nowMs), nowMs, this.config);
    this.execute(node, effects);
    this.runAgent(node);
  }

  /** The daemon's rule (censusDue), where the membership model can take a census at all. */
  private takeCensus(node: SimNode): void {
    const nowMs = this.wallMsOf(node);
    if (this.membership.census === undefined || !censusDue(node.scheduler.currentPlan, node.id, node.censusAtMs, nowMs, this.config.censusMs)) return;
    node.censusAtMs = nowMs;
    this.membership.census(node.id);
  }

  /**
   * Anti-entropy as the scheduler sees it while it catches up after a time away: one
   * exchange at a time with a random reachable peer, which hands over the peer's whole
   * document after the repair latency; the scheduler counts the exchange (Scheduler.synced).
   */
  private syncWhileCatchingUp(node: SimNode): void {
    if (!node.scheduler.catchingUp || node.syncing) return;
    const peers = this.ids().filter((id) => id !== node.id && this.world.isUp(id) && this.world.reaches(node.id, id) && this.world.reaches(id, node.id));
    if (peers.length === 0) return;
    const peer = peers[this.random.int(peers.length)] as string;
    const { generation } = node;
    const startedAtMs = this.wallMsOf(node);
    node.syncing = true;
    this.at(this.now + this.faults.repairLatency(this.random), () => {
      if (node.generation !== generation) return;
      node.syncing = false;
      if (!this.world.isUp(peer) || !this.world.reaches(peer, node.id)) return;
      this.mergeAt(node, this.node(peer).document.ops());
      node.scheduler.synced(peer, startedAtMs);
      node.idle.dirty = true;
    });
  }

  /** As the daemon's agent: a `majority` slot runs only while neither the scheduler nor the lease fences the node. */
  private runAgent(node: SimNode): void {
    // The lease, the keeper and this account of them are on the monotonic clock; the scheduler and the agent on the wall clock.
    const monotonicMs = this.monotonicMsOf(node);
    const nowMs = this.wallMsOf(node);
    const fenced = node.lease.runOut(monotonicMs);
    const desired = node.scheduler.desired(nowMs).filter((s) => !(fenced && s.workload.partitionPolicy === 'majority'));
    const before = new Set(this.agent.majorityReplicas(node.id));
    const ops = this.agent.reconcile(node.id, desired, nowMs, () => this.stampOf(node));
    // A start is fenced when the node has seen no majority since its keeper removed a
    // replica, or since it was last found fenced itself.
    if (fenced) node.fencedSinceMs ??= monotonicMs;
    else if (node.fencedSinceMs !== undefined && node.lease.majoritySeenAtMs >= node.fencedSinceMs) node.fencedSinceMs = undefined;
    const unseenSinceFenced = node.lease.majoritySeenAtMs < Math.max(node.keeper.removedAtMs, node.fencedSinceMs ?? Number.NEGATIVE_INFINITY);
    for (const id of this.agent.majorityReplicas(node.id)) {
      if (unseenSinceFenced && !before.has(id)) this.fencedStarts.push({ atMs: this.now, node: node.id, slot: this.agent.slotOfReplica(node.id, id) as string });
    }
    this.writeLease(node, node.lease.guard(this.agent.majorityReplicas(node.id), monotonicMs));
    this.traffic.statusWrites += ops.length;
    if (ops.length > 0) this.write(node, ops);
  }

  private writeLease(node: SimNode, record: MajorityLease | undefined): void {
    if (record !== undefined) node.keeper.record = record;
  }

  /** Every node's fence keeper looks at its record, as the real one does every 250 ms: running, cut off, or crashed. */
  private runKeepers(): void {
    for (const node of this.nodes.values()) {
      const { record, removed } = node.keeper;
      const monotonicMs = this.monotonicMsOf(node);
      for (const id of keeperStep(record, monotonicMs, removed).remove) {
        removed.add(id);
        if (this.agent.slotOfReplica(node.id, id) === undefined) continue;
        node.keeper.removedAtMs = monotonicMs;
        this.agent.removeReplica(node.id, id);
      }
    }
  }

  private execute(node: SimNode, effects: readonly SchedulerEffect[]): void {
    const ops: DocumentOp[] = [];
    for (const effect of effects) {
      if (effect.type === 'send') this.send(node.id, effect.to, effect.answers);
      else if (effect.type === 'event') this.options.onEvent?.(node.id, effect.event, this.now);
      else {
        const slot = slotKey({ workload: effect.workload, index: effect.index });
        ops.push({ kind: 'claim', slot, claim: effect.claim });
        this.traffic.claimWrites++;
        const placement = `${slot}@${effect.claim.epoch}`;
        if ('winner' in effect.claim && !this.placedAtMs.has(placement)) this.placedAtMs.set(placement, this.now);
      }
    }
    if (ops.length > 0) this.write(node, ops);
  }

  private send(from: string, to: string, answers: Answer[]): void {
    this.traffic.answerMessages++;
    this.traffic.answers += answers.length;
    const target = this.nodes.get(to);
    if (target === undefined || !this.world.reaches(from, to) || this.random.next() < this.faults.answerLossRate) {
      this.traffic.answersLost++;
      return;
    }
    const lag = this.faults.slowNodes[from] ?? 0;
    this.queue.push(this.now + this.faults.answerLatency(this.random) + lag, { kind: 'answers', from, to, generation: target.generation, answers });
  }

  private deliverAnswers(event: Extract<SimEvent, { kind: 'answers' }>): void {
    const node = this.node(event.to);
    if (node.generation !== event.generation || !this.world.reaches(event.from, event.to)) {
      this.traffic.answersLost++;
      return;
    }
    this.execute(node, node.scheduler.receive(event.from, event.answers, this.wallMsOf(node)));
  }

  /** A write is merged at once where it is made; the others learn it by gossip. */
  private write(node: SimNode, ops: DocumentOp[]): void {
    this.options.onWrite?.(node.id, ops, this.now);
    this.mergeAt(node, ops);
    this.gossip.spread(node.id, ops, this.now);
  }

  private mergeAt(node: SimNode, ops: readonly DocumentOp[]): void {
    if (node.document.merge(ops)) node.idle.dirty = true;
  }

  private node(id: string): SimNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new RangeError(`no simulated node ${id}`);
    return node;
  }
}

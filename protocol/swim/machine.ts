import type { Random } from '../../base/random.js';
import type { SwimConfig } from './config.js';
import { MemberDirectory } from './directory.js';
import type { Effect, Timer } from './effects.js';
import { pushPullIntervalMs, retransmitLimit, scaleByHealth } from './formulas.js';
import type { Incarnation, MemberId, MemberRecord, MemberView } from './member.js';
import { Membership } from './membership.js';
import type { SwimMessage, SyncEntry, Update } from './messages.js';

export interface SwimMachineOptions {
  config: SwimConfig;
  self: MemberRecord;
  random: Random;
  /** A restarted node starts above its previous life's incarnation (node/ passes wall-clock seconds: the one time here not on the monotonic clock). */
  incarnation?: Incarnation;
  /** Shared by the simulator's nodes; a real node has its own. */
  directory?: MemberDirectory;
}

/** Round trips a driver that never takes them cannot make the machine hold more than this. */
const MAX_ROUND_TRIPS_KEPT = 1024;

interface Probe {
  seq: number;
  target: number;
  sentAtMs: number;
  acked: boolean;
  nacks: number;
  expectedNacks: number;
}

interface Relay {
  requester: MemberId;
  seq: number;
}

/**
 * SWIM with Lifeguard, as a pure state machine: inputs are messages, timers and the
 * current time; outputs are effects. Nothing here reads a clock or touches a socket.
 *
 * Every `nowMs` is on a monotonic clock (node/ gives it performance.timeOrigin +
 * performance.now()), and so is every time it hands back (`stateChangedAtMs`, an event's
 * `atMs`). A suspicion's deadline and a member's silence are durations; on a wall clock a
 * step forward ended suspicions early and declared live members dead, so a driver moves
 * the times it hands on to its wall clock itself (wall-time.ts).
 *
 * @example
 * const swim = new SwimMachine({ config: swimConfig.lan(), self, random: createRandom(seed) });
 * run(swim.start());
 * run(swim.join([seedId]));
 * onMessage((from, message) => run(swim.handleMessage(from, message, performance.timeOrigin + performance.now())));
 */
export class SwimMachine {
  private readonly config: SwimConfig;
  private readonly random: Random;
  private readonly membership: Membership;
  private out: Effect[] = [];
  private seq = 0;
  private probe: Probe | undefined;
  /** What a driver's metrics count: probes sent, and those that went unanswered even through helpers. */
  readonly stats = { probes: 0, probeFailures: 0 };
  /** Round trips of acknowledged probes since the driver last took them. */
  private roundTripsMs: number[] = [];
  private readonly relays = new Map<number, Relay>();
  /** By member: when a ping or ping-req of ours to it began to wait for an answer; cleared by any message from it. */
  private readonly awaitingSince = new Map<MemberId, number>();
  private gossipArmed = false;
  /** The time of the input being handled, for what `send` records. */
  private inputAtMs = 0;

  constructor(options: SwimMachineOptions) {
    this.config = options.config;
    this.random = options.random;
    this.membership = new Membership(options.config, options.directory ?? new MemberDirectory(), options.random, options.self, options.incarnation ?? 0, this.out);
  }

  get id(): MemberId {
    return this.membership.selfId;
  }

  /** Arms the periodic timers, each at a random phase so a fleet started together does not probe in lockstep. */
  start(): Effect[] {
    this.arm({ kind: 'probe' }, this.random.int(this.config.probeIntervalMs));
    this.arm({ kind: 'push-pull' }, this.random.int(pushPullIntervalMs(this.config.pushPullIntervalMs, this.membership.size)));
    this.arm({ kind: 'reconnect' }, this.random.int(this.config.reconnectIntervalMs));
    return this.flush();
  }

  /** Push-pull with each seed: it learns us, we learn everyone it knows. */
  join(seeds: readonly MemberId[]): Effect[] {
    for (const seed of seeds) {
      if (seed !== this.id) this.send(seed, { type: 'sync', reply: false, members: this.membership.syncEntries() });
    }
    return this.flush();
  }

  /** Seeds the table without messages; the simulator starts large clusters converged this way. */
  learn(records: readonly MemberRecord[], nowMs: number): void {
    this.membership.learn(records, nowMs);
  }

  /** Announces a new record (addresses, labels, capacity) under a higher incarnation. */
  updateSelf(record: MemberRecord): Effect[] {
    this.membership.announceSelf({ ...record, id: this.id });
    this.armGossip();
    return this.flush();
  }

  /** Graceful leave: tell several members at once; the driver stops after a gossip interval or two. */
  leave(nowMs: number): Effect[] {
    this.membership.leave(nowMs);
    for (const target of this.membership.reachable.sample(this.config.gossipFanout * 2, this.random)) {
      this.send(this.membership.id(target), { type: 'gossip', updates: this.piggyback() });
    }
    return this.flush();
  }

  members(): MemberView[] {
    return this.membership.views();
  }

  member(id: MemberId): MemberView | undefined {
    if (id === this.id) return this.membership.self;
    const index = this.membership.lookup(id);
    return index === undefined ? undefined : this.membership.view(index);
  }

  /** Members this node can reach, itself included. */
  get liveCount(): number {
    return this.membership.size;
  }

  /** The round trips of the probes acknowledged since the last call, in ms; at most MAX_ROUND_TRIPS_KEPT, the rest uncounted. */
  takeProbeRoundTrips(): number[] {
    const taken = this.roundTripsMs;
    this.roundTripsMs = [];
    return taken;
  }

  /** How often this node has raised its incarnation to refute a suspicion or death about itself. */
  get refutations(): number {
    return this.membership.refutations;
  }

  get healthScore(): number {
    return this.membership.awareness.score;
  }

  /**
   * Members that have left a ping or ping-req of ours unanswered for a probe period. They
   * may still be alive here for a long time: on a node cut off from most of the cluster,
   * Lifeguard's local health slows the probes that would suspect them. A majority rule
   * must not count them (found by the scheduling simulator with SWIM membership). A wait
   * is timed on the monotonic clock: on the wall clock, a step back hid the silence for
   * the length of the step, and a cut-off node counted the far side toward its majority
   * (found by the simulator's per-node clocks, issue 21).
   */
  silentMembers(nowMs: number): Set<MemberId> {
    const silent = new Set<MemberId>();
    for (const [id, since] of this.awaitingSince) if (nowMs - since >= this.config.probeIntervalMs) silent.add(id);
    return silent;
  }

  /**
   * Pings every member it can reach, outside the probe rotation: within a probe period
   * each has answered or is silent. A node that must know soon whether it still reaches a
   * majority (it runs `majority` replicas, or may re-place one) calls this every so often;
   * the probe rotation alone may take many periods to reach the far side of a cut.
   */
  census(nowMs: number): Effect[] {
    if (this.membership.leaving) return [];
    this.inputAtMs = nowMs;
    for (const index of this.membership.reachable.values()) {
      const id = this.membership.id(index);
      this.send(id, { type: 'ping', seq: ++this.seq, target: id, updates: [] });
    }
    return this.flush();
  }

  handleMessage(from: MemberId, message: SwimMessage, nowMs: number): Effect[] {
    if (this.membership.leaving) return [];
    this.awaitingSince.delete(from);
    this.inputAtMs = nowMs;
    if (message.type === 'sync') {
      for (const entry of message.members) this.membership.merge(entry, from, nowMs);
      if (!message.reply) this.send(from, { type: 'sync', reply: true, members: this.membership.syncEntries() });
      this.armGossip();
      return this.flush();
    }
    for (const update of message.updates) this.membership.apply(update, nowMs);
    switch (message.type) {
      case 'ping':
        if (message.target === this.id) this.send(from, { type: 'ack', seq: message.seq, updates: this.piggyback() });
        break;
      case 'ping-req':
        this.relay(from, message.seq, message.target);
        break;
      case 'ack':
        this.onAck(message.seq, nowMs);
        break;
      case 'nack':
        if (this.probe?.seq === message.seq) this.probe.nacks++;
        break;
      case 'gossip':
        break;
    }
    this.armGossip();
    return this.flush();
  }

  handleTimer(timer: Timer, nowMs: number): Effect[] {
    if (this.membership.leaving) return [];
    this.inputAtMs = nowMs;
    switch (timer.kind) {
      case 'probe':
        this.onProbeTick(nowMs);
        break;
      case 'probe-timeout':
        this.onProbeTimeout(timer.seq);
        break;
      case 'relay-timeout':
        this.onRelayTimeout(timer.seq);
        break;
      case 'suspicion':
        this.membership.expire(timer.id, timer.incarnation, nowMs);
        break;
      case 'gossip':
        this.onGossipTick();
        break;
      case 'push-pull':
        this.onPushPullTick(nowMs);
        break;
      case 'reconnect':
        this.onReconnectTick();
        break;
    }
    this.armGossip();
    return this.flush();
  }

  private onProbeTick(nowMs: number): void {
    const previous = this.probe;
    this.probe = undefined;
    if (previous !== undefined && !previous.acked) this.onProbeFailed(previous, nowMs);
    this.arm({ kind: 'probe' }, scaleByHealth(this.config.probeIntervalMs, this.healthScore));
    const target = this.membership.nextProbeTarget();
    if (target !== undefined) {
      const seq = this.ping(target);
      this.probe = { seq, target, sentAtMs: nowMs, acked: false, nacks: 0, expectedNacks: 0 };
      this.stats.probes++;
      this.arm({ kind: 'probe-timeout', seq }, scaleByHealth(this.config.probeTimeoutMs, this.healthScore));
    }
  }

  private ping(target: number): number {
    const seq = ++this.seq;
    const id = this.membership.id(target);
    const buddy: Update[] =
      this.membership.table.state(target) === 'suspect' ? [{ kind: 'suspect', incarnation: this.membership.table.incarnation(target), id, from: this.id }] : [];
    this.send(id, { type: 'ping', seq, target: id, updates: [...buddy, ...this.piggyback()] });
    return seq;
  }

  private onProbeTimeout(seq: number): void {
    const probe = this.probe;
    if (probe === undefined || probe.seq !== seq || probe.acked) return;
    const helpers = this.membership.reachable.sample(this.config.indirectChecks, this.random, [probe.target]);
    probe.expectedNacks = helpers.length;
    const target = this.membership.id(probe.target);
    for (const helper of helpers) {
      this.send(this.membership.id(helper), { type: 'ping-req', seq, target, updates: this.piggyback() });
    }
  }

  /** Lifeguard: helpers that did not even nack suggest our own network is the problem. */
  private onProbeFailed(probe: Probe, nowMs: number): void {
    this.stats.probeFailures++;
    const missingNacks = probe.expectedNacks > 0 ? probe.expectedNacks - probe.nacks : 1;
    this.membership.awareness.apply(missingNacks);
    if (this.membership.reachable.has(probe.target)) this.membership.accuse(probe.target, nowMs);
  }

  private onAck(seq: number, nowMs: number): void {
    const relay = this.relays.get(seq);
    if (relay !== undefined) {
      this.relays.delete(seq);
      this.send(relay.requester, { type: 'ack', seq: relay.seq, updates: this.piggyback() });
      return;
    }
    if (this.probe?.seq === seq && !this.probe.acked) {
      this.probe.acked = true;
      this.membership.awareness.apply(-1);
      if (this.roundTripsMs.length < MAX_ROUND_TRIPS_KEPT) this.roundTripsMs.push(nowMs - this.probe.sentAtMs);
    }
  }

  private relay(requester: MemberId, requesterSeq: number, target: MemberId): void {
    if (target === this.id) return;
    const seq = ++this.seq;
    this.relays.set(seq, { requester, seq: requesterSeq });
    this.send(target, { type: 'ping', seq, target, updates: this.piggyback() });
    this.arm({ kind: 'relay-timeout', seq }, Math.floor(this.config.probeTimeoutMs * 0.8));
  }

  private onRelayTimeout(seq: number): void {
    const relay = this.relays.get(seq);
    if (relay === undefined) return;
    this.relays.delete(seq);
    this.send(relay.requester, { type: 'nack', seq: relay.seq, updates: this.piggyback() });
  }

  private onGossipTick(): void {
    this.gossipArmed = false;
    if (this.membership.queue.size === 0) return;
    for (const target of this.membership.reachable.sample(this.config.gossipFanout, this.random)) {
      const updates = this.piggyback();
      if (updates.length === 0) break;
      this.send(this.membership.id(target), { type: 'gossip', updates });
    }
  }

  private onPushPullTick(nowMs: number): void {
    const members = this.membership.size;
    const interval = pushPullIntervalMs(this.config.pushPullIntervalMs, members);
    this.arm({ kind: 'push-pull' }, Math.floor(interval * (0.5 + this.random.next())));
    this.membership.forgetExpired(nowMs);
    for (const id of this.awaitingSince.keys()) if (this.membership.lookup(id) === undefined) this.awaitingSince.delete(id);
    const [peer] = this.membership.reachable.sample(1, this.random);
    if (peer === undefined) return;
    this.send(this.membership.id(peer), { type: 'sync', reply: false, members: this.membership.syncEntries() });
  }

  /**
   * A dead member may be alive behind a healed partition. Tell it who we are and that we
   * hold it dead: if it is alive it refutes and answers with its full state, so the two
   * sides find each other. If it is dead, the attempt cost one small message, not a
   * full state (at N = 10,000 that is 1.5 MB every reconnect interval).
   */
  private onReconnectTick(): void {
    this.arm({ kind: 'reconnect' }, this.config.reconnectIntervalMs);
    const [peer] = this.membership.dead.sample(1, this.random);
    if (peer === undefined || this.membership.table.state(peer) !== 'dead') return;
    const [self] = this.membership.syncEntries(0);
    const view = this.membership.view(peer);
    const members = [self as SyncEntry, { member: view.record, incarnation: view.incarnation, state: view.state }];
    this.send(this.membership.id(peer), { type: 'sync', reply: false, members });
  }

  private piggyback(): Update[] {
    return this.membership.queue.take(this.config.piggybackBytes, retransmitLimit(this.config.retransmitMultiplier, this.membership.size));
  }

  private armGossip(): void {
    if (this.gossipArmed || this.membership.queue.size === 0) return;
    this.gossipArmed = true;
    this.arm({ kind: 'gossip' }, this.config.gossipIntervalMs);
  }

  private send(to: MemberId, message: SwimMessage): void {
    if ((message.type === 'ping' || message.type === 'ping-req') && !this.awaitingSince.has(to)) this.awaitingSince.set(to, this.inputAtMs);
    this.out.push({ type: 'send', to, message });
  }

  private arm(timer: Timer, afterMs: number): void {
    this.out.push({ type: 'timer', timer, afterMs });
  }

  private flush(): Effect[] {
    const effects = this.out.slice();
    this.out.length = 0;
    return effects;
  }
}

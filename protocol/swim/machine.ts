import type { Random } from '../../base/random.js';
import type { SwimConfig } from './config.js';
import { MemberDirectory } from './directory.js';
import type { Effect, Timer } from './effects.js';
import { pushPullIntervalMs, retransmitLimit, scaleByHealth } from './formulas.js';
import { LagHealth } from './lag.js';
import type { Incarnation, MemberId, MemberRecord, MemberView } from './member.js';
import type { MemberSignatures, SwimRefusal } from './member-signatures.js';
import { LOOP_TURN_MS, Membership, type LearnedMember } from './membership.js';
import type { SwimMessage, SyncEntry, Update } from './messages.js';

export interface SwimMachineOptions {
  config: SwimConfig;
  self: MemberRecord;
  random: Random;
  /** Signs this member's record and leave, and checks others' (member-signatures.ts). */
  signatures: MemberSignatures;
  /** A restarted node starts above its previous life's incarnation (node/ passes wall-clock seconds: the one time here not on the monotonic clock). */
  incarnation?: Incarnation;
  /** Shared by the simulator's nodes; a real node has its own. */
  directory?: MemberDirectory;
  /**
   * Lag awareness (lag.ts), on by default: the local health score also counts how late
   * the node runs (the lag its driver reports, its own timers firing late), a verdict whose
   * timer a stall held up waits one turn of the loop for the input behind it, and the node
   * tells its peers how late it runs, so they wait for it too. Off, Lifeguard as memberlist
   * has it: the simulator's and the starvation bench's comparison, and the daemon's
   * SHOAL_SWIM_LAG_AWARENESS=off.
   */
  lagAwareness?: boolean;
}

/** Round trips a driver that never takes them cannot make the machine hold more than this. */
const MAX_ROUND_TRIPS_KEPT = 1024;

interface Probe {
  seq: number;
  target: number;
  sentAtMs: number;
  /** Its direct-ack timeout as armed, scaled by the local health of the moment. */
  timeoutMs: number;
  acked: boolean;
  nacks: number;
  expectedNacks: number;
  /** The verdict on it, and its turn to ask helpers, already waited a turn of the loop after a stall. */
  held: boolean;
  timeoutHeld: boolean;
}

interface Relay {
  requester: MemberId;
  seq: number;
  dueAtMs: number;
  held: boolean;
}

/** A probe that failed, kept until the next fails: an ack for it that comes late still says its target lived. */
interface FailedProbe {
  seq: number;
  target: number;
  /** The incarnation it was accused at. */
  incarnation: Incarnation;
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
  /** When the probe timer armed last is due: a tick well after it was held up by a stall. Unknown until a start or a tick with the time. */
  private probeDueAtMs: number | undefined;
  private failed: FailedProbe | undefined;
  private readonly lag: LagHealth;
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
    this.lag = new LagHealth(options.config, options.lagAwareness ?? true);
    this.membership = new Membership(
      options.config,
      options.directory ?? new MemberDirectory(),
      options.random,
      options.self,
      options.incarnation ?? 0,
      this.out,
      this.lag,
      options.signatures,
    );
  }

  get id(): MemberId {
    return this.membership.selfId;
  }

  /**
   * Arms the periodic timers, each at a random phase so a fleet started together does not
   * probe in lockstep. With the time, the first probe tick can tell whether it fired late.
   */
  start(nowMs?: number): Effect[] {
    this.armProbe(this.random.int(this.config.probeIntervalMs), nowMs);
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
  learn(members: readonly LearnedMember[], nowMs: number): void {
    this.membership.learn(members, nowMs);
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

  /** Updates refused, by why (a forged signature, an accusation above a signed incarnation): live counts. */
  get refused(): Readonly<Record<SwimRefusal, number>> {
    return this.membership.refused;
  }

  /** How often this node has raised its incarnation to refute a suspicion or death about itself. */
  get refutations(): number {
    return this.membership.refutations;
  }

  /** Lifeguard's local health score (0 is healthy): its awareness, or what the lag is worth, whichever is higher (lag.ts). */
  get healthScore(): number {
    return this.health(this.inputAtMs);
  }

  /**
   * The event-loop lag the driver measured (the worst delay since its last report), at
   * `nowMs`. It raises the local health score while it lasts (lag.ts): a node that knows
   * it runs late probes less often, waits longer for acks, and takes longer to declare a
   * suspect dead, since its own lag, not the suspect, may be why answers come late.
   */
  reportLag(lagMs: number, nowMs: number): void {
    this.lag.observe(lagMs, nowMs);
  }

  /** The lag this node reckons with now, in ms (0 when lag awareness is off): for the driver's metrics. */
  lagMs(nowMs: number): number {
    return this.lag.estimateMs(nowMs);
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
    if (this.lag.enabled) this.lag.heard(this.membership.lookup(from), message.lagMs, nowMs);
    // A forgery (a signature not its member's) ends the message: what came before it was
    // signed and stands, the rest is not read, and nothing is answered.
    if (message.type === 'sync') {
      const read = message.members.every((entry) => this.membership.merge(entry, from, nowMs));
      if (read && !message.reply) this.send(from, { type: 'sync', reply: true, members: this.membership.syncEntries() });
      this.armGossip();
      return this.flush();
    }
    const refutations = this.membership.refutations;
    if (!message.updates.every((update) => this.membership.apply(update, nowMs))) {
      this.armGossip();
      return this.flush();
    }
    // A node that runs late refutes at once, not a gossip interval later: its stall has
    // already eaten most of the time its accusers give it.
    if (this.membership.refutations > refutations && this.lag.score(nowMs) > 0) this.gossipRound();
    switch (message.type) {
      case 'ping':
        if (message.target === this.id) this.send(from, { type: 'ack', seq: message.seq, updates: this.piggyback() });
        break;
      case 'ping-req':
        this.relay(from, message.seq, message.target, nowMs);
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
        this.onProbeTimeout(timer.seq, nowMs);
        break;
      case 'relay-timeout':
        this.onRelayTimeout(timer.seq, nowMs);
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
    const dueAtMs = this.probeDueAtMs;
    this.observeLateness(dueAtMs, nowMs);
    const previous = this.probe;
    // A tick a stall held up: the ack that would save the previous probe may sit unread.
    if (previous !== undefined && !previous.acked && !previous.held && this.lag.late(dueAtMs, nowMs)) {
      previous.held = true;
      this.armProbe(LOOP_TURN_MS, nowMs);
      return;
    }
    this.probe = undefined;
    if (previous !== undefined && !previous.acked) this.onProbeFailed(previous, nowMs);
    const health = this.health(nowMs);
    const tick = this.armProbe(scaleByHealth(this.config.probeIntervalMs, health), nowMs);
    const target = this.membership.nextProbeTarget();
    if (target !== undefined) {
      // A target that said it runs late gets a round as long as its lag asks for.
      const score = Math.max(health, this.lag.saidScore(target, nowMs));
      if (score > health) this.stretchProbe(tick, scaleByHealth(this.config.probeIntervalMs, score), nowMs);
      const seq = this.ping(target);
      const timeoutMs = scaleByHealth(this.config.probeTimeoutMs, score);
      this.probe = { seq, target, sentAtMs: nowMs, timeoutMs, acked: false, nacks: 0, expectedNacks: 0, held: false, timeoutHeld: false };
      this.stats.probes++;
      this.arm({ kind: 'probe-timeout', seq }, timeoutMs);
    }
  }

  /** Lifeguard's awareness, or what the lag is worth, whichever is higher. */
  private health(nowMs: number): number {
    return Math.max(this.membership.awareness.score, this.lag.score(nowMs));
  }

  /** A timer of ours that fired after it was due says how long the loop was held up. */
  private observeLateness(dueAtMs: number | undefined, nowMs: number): void {
    if (dueAtMs !== undefined && nowMs > dueAtMs) this.lag.observe(nowMs - dueAtMs, nowMs);
  }

  private armProbe(afterMs: number, nowMs: number | undefined): Extract<Effect, { type: 'timer' }> {
    this.probeDueAtMs = nowMs === undefined ? undefined : nowMs + afterMs;
    return this.arm({ kind: 'probe' }, afterMs);
  }

  /** The probe tick just armed, `tick`, comes later: after `afterMs`. */
  private stretchProbe(tick: Extract<Effect, { type: 'timer' }>, afterMs: number, nowMs: number): void {
    tick.afterMs = afterMs;
    this.probeDueAtMs = nowMs + afterMs;
  }

  private ping(target: number): number {
    const seq = ++this.seq;
    const id = this.membership.id(target);
    const buddy: Update[] =
      this.membership.table.state(target) === 'suspect' ? [{ kind: 'suspect', incarnation: this.membership.table.incarnation(target), id, from: this.id }] : [];
    this.send(id, { type: 'ping', seq, target: id, updates: [...buddy, ...this.piggyback()] });
    return seq;
  }

  private onProbeTimeout(seq: number, nowMs: number): void {
    const probe = this.probe;
    if (probe === undefined || probe.seq !== seq || probe.acked) return;
    const dueAtMs = probe.sentAtMs + probe.timeoutMs;
    this.observeLateness(dueAtMs, nowMs);
    // Helpers are asked only if the ack is not among the input a stall left unread.
    if (!probe.timeoutHeld && this.lag.late(dueAtMs, nowMs)) {
      probe.timeoutHeld = true;
      this.arm({ kind: 'probe-timeout', seq }, LOOP_TURN_MS);
      return;
    }
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
    if (!this.membership.reachable.has(probe.target)) return;
    const incarnation = this.membership.table.incarnation(probe.target);
    this.membership.accuse(probe.target, nowMs);
    if (this.lag.enabled) this.failed = { seq: probe.seq, target: probe.target, incarnation };
  }

  private onAck(seq: number, nowMs: number): void {
    const relay = this.relays.get(seq);
    if (relay !== undefined) {
      this.relays.delete(seq);
      this.send(relay.requester, { type: 'ack', seq: relay.seq, updates: this.piggyback() });
      return;
    }
    const probe = this.probe;
    if (probe?.seq === seq && !probe.acked) {
      probe.acked = true;
      this.membership.awareness.apply(-1);
      if (this.roundTripsMs.length < MAX_ROUND_TRIPS_KEPT) this.roundTripsMs.push(nowMs - probe.sentAtMs);
      return;
    }
    const failed = this.failed;
    if (failed?.seq === seq) {
      // The ack of a probe already judged failed (directly or through a helper): its target
      // lived after we accused it. Not our lag: the target's, which it tells us itself.
      this.failed = undefined;
      this.membership.answered(failed.target, failed.incarnation, nowMs);
    }
  }

  private relay(requester: MemberId, requesterSeq: number, target: MemberId, nowMs: number): void {
    if (target === this.id) return;
    const seq = ++this.seq;
    // The requester gave a target that said it runs late that much longer; so do we.
    const afterMs = Math.floor(scaleByHealth(this.config.probeTimeoutMs, this.lag.saidScore(this.membership.lookup(target), nowMs)) * 0.8);
    this.relays.set(seq, { requester, seq: requesterSeq, dueAtMs: nowMs + afterMs, held: false });
    this.send(target, { type: 'ping', seq, target, updates: this.piggyback() });
    this.arm({ kind: 'relay-timeout', seq }, afterMs);
  }

  private onRelayTimeout(seq: number, nowMs: number): void {
    const relay = this.relays.get(seq);
    if (relay === undefined) return;
    this.observeLateness(relay.dueAtMs, nowMs);
    // The target's ack may be among the input a stall left unread: a nack waits a turn.
    if (!relay.held && this.lag.late(relay.dueAtMs, nowMs)) {
      relay.held = true;
      this.arm({ kind: 'relay-timeout', seq }, LOOP_TURN_MS);
      return;
    }
    this.relays.delete(seq);
    this.send(relay.requester, { type: 'nack', seq: relay.seq, updates: this.piggyback() });
  }

  private onGossipTick(): void {
    this.gossipArmed = false;
    this.gossipRound();
  }

  private gossipRound(): void {
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
    const members = [self as SyncEntry, this.membership.entry(peer)];
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
    const lagMs = this.lag.toSay(this.inputAtMs);
    this.out.push({ type: 'send', to, message: lagMs === undefined ? message : { ...message, lagMs } });
  }

  private arm(timer: Timer, afterMs: number): Extract<Effect, { type: 'timer' }> {
    const effect = { type: 'timer' as const, timer, afterMs };
    this.out.push(effect);
    return effect;
  }

  private flush(): Effect[] {
    const effects = this.out.slice();
    this.out.length = 0;
    return effects;
  }
}

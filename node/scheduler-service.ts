import type { Libp2p } from '@libp2p/interface';
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../base/clock.js';
import { placementField } from '../protocol/node-writes.js';
import { createRandom } from '../base/random.js';
import { answerFrames, decodeAnswers, MAX_ANSWERS_BYTES } from '../protocol/scheduler/codec.js';
import type { SchedulerConfig } from '../protocol/scheduler/config.js';
import { clusterView, placementKey } from '../protocol/scheduler/from-document.js';
import { afterTick, freshIdle, nextTickInMs } from '../protocol/scheduler/idle.js';
import { censusDue } from '../protocol/scheduler/majority-evidence.js';
import type { PlacedSlot, Plan } from '../protocol/scheduler/plan.js';
import { Scheduler, type SchedulerEffect } from '../protocol/scheduler/scheduler.js';
import type { Claim, ClusterView } from '../protocol/scheduler/view.js';
import type { MajorityFence } from './agent/majority-fence.js';
import type { EventLog } from './event-log.js';
import type { NodeWriter } from './node-writer.js';
import type { StateService } from './state-service.js';
import type { SwimService } from './swim/service.js';
import { createFrameTransport, type FrameTransport, type FrameTransportCounters } from './frame-transport.js';

export const AUCTION_PROTOCOL = '/shoal/auction/1.0.0';

export interface SchedulerServiceOptions {
  host: Libp2p;
  swim: SwimService;
  state: StateService;
  writer: NodeWriter;
  events: EventLog;
  config: SchedulerConfig;
  /** Learns when this node last saw a majority; knew it before a restart. */
  fence: MajorityFence;
  log: Logger;
  /** The node's wall clock (node/wall-clock.ts): every time handed to the scheduler, and its events' times. */
  clock: Clock;
  /** Until the node has joined, its view of members is only itself: it must not decide anything. */
  hasJoined: () => boolean;
  /** How often it ticks while auctions are open (protocol/scheduler/idle.ts says when it may wait longer). */
  tickMs?: number;
}

export interface SchedulerCounters {
  answersSent: number;
  answersReceived: number;
  claimsWritten: number;
  claimFailures: number;
  dropped: Record<string, number>;
}

/** Drives the pure Scheduler: ticks, answer frames over their own protocol, claims into the document. */
export class SchedulerService {
  /** Decisions this node wrote as a collector: placed, unschedulable, and the unschedulable ones' declines by reason. */
  readonly decisions = { placed: 0, unschedulable: 0, declines: {} as Record<string, number> };
  private decisionSeconds: number[] = [];
  readonly counters: SchedulerCounters = { answersSent: 0, answersReceived: 0, claimsWritten: 0, claimFailures: 0, dropped: {} };
  private readonly scheduler: Scheduler;
  private transport: FrameTransport | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly idle = freshIdle();
  private kicked = false;
  private stopped = false;
  private desiredSignature = '';
  private censusAtMs = Number.NEGATIVE_INFINITY;
  private readonly desiredListeners: (() => void)[] = [];

  constructor(private readonly options: SchedulerServiceOptions) {
    this.scheduler = new Scheduler(options.swim.id, options.config, createRandom(randomInt(2 ** 32)), options.fence.majoritySeenAtWallMs);
  }

  async start(): Promise<void> {
    this.transport = await createFrameTransport(this.options.host, {
      protocol: AUCTION_PROTOCOL,
      maxFrameBytes: MAX_ANSWERS_BYTES,
      dialTimeoutMs: 5_000,
      onFrame: (from, frame) => this.receive(from, frame),
    });
    this.options.state.onChange(() => this.viewChanged());
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.transport?.stop();
  }

  /** The view every decision here is made from; also what the API shows. */
  view(): ClusterView {
    const silent = this.options.swim.silentMembers();
    const members = this.options.swim.members().map((m) => ({
      id: m.record.id,
      state: m.state,
      labels: m.record.labels,
      capacity: m.record.capacity,
      stateChangedAtMs: m.stateChangedAtMs,
      silent: silent.has(m.record.id),
    }));
    return clusterView(this.options.state.replica.document, members);
  }

  get plan(): Plan | undefined {
    return this.scheduler.currentPlan;
  }

  /** The counters of the answers' frame transport, once started. */
  get transportCounters(): FrameTransportCounters | undefined {
    return this.transport?.counters;
  }

  /** Auctions this node collected answers for: opened, as far as this node takes part in deciding them. */
  get auctionsOpened(): number {
    return this.scheduler.auctionsCollected;
  }

  /** How long each decision this node made took since the last call, in seconds. */
  takeDecisionSeconds(): number[] {
    const taken = this.decisionSeconds;
    this.decisionSeconds = [];
    return taken;
  }

  private countDecision(claim: Claim, decidedAfterMs: number): void {
    if ('winner' in claim) this.decisions.placed++;
    else {
      this.decisions.unschedulable++;
      for (const [reason, n] of Object.entries(claim.declines)) this.decisions.declines[reason] = (this.decisions.declines[reason] ?? 0) + n;
    }
    if (this.decisionSeconds.length < 1024) this.decisionSeconds.push(decidedAfterMs / 1000);
  }

  /** What this node made of the view it last planned with. */
  /** What this node should run now; undefined until it has joined and planned once. */
  desired(): PlacedSlot[] | undefined {
    return this.scheduler.currentPlan === undefined ? undefined : this.scheduler.desired(this.options.clock.nowMs());
  }

  /** Anti-entropy completed an exchange with `peer`, begun at `startedAtMs` (Scheduler.synced). */
  synced(peer: string, startedAtMs: number): void {
    this.scheduler.synced(peer, startedAtMs);
  }

  /** This node must not run `majority` replicas now; before its first plan, by what it knew before a restart. */
  fenced(): boolean {
    return this.scheduler.fenced(this.options.clock.nowMs());
  }

  /**
   * Calls `listener` after a tick changed what this node should run. The agent needs this
   * beside the document's own change events: a claim changes the document first, and the
   * plan that puts the slot here only on the tick after it.
   */
  onDesiredChange(listener: () => void): void {
    this.desiredListeners.push(listener);
  }

  /**
   * The document or the members changed, which may open or close auctions: plan again
   * soon, once for a burst of changes.
   */
  viewChanged(): void {
    this.idle.dirty = true;
    if (this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      this.tick();
    });
  }

  /**
   * Plans, then sets the timer for the next tick: every tickMs while auctions are open,
   * else when time alone next moves something, at the latest idleTickMs on (idle.ts). An
   * idle node ticked every 100 ms before, rebuilding its view each time, for nothing.
   */
  private tick(): void {
    if (this.stopped) return;
    const tickMs = this.options.tickMs ?? 100;
    clearTimeout(this.timer);
    if (!this.options.hasJoined() || !this.options.state.ready) {
      this.timer = setTimeout(() => this.tick(), tickMs);
      return;
    }
    const nowMs = this.options.clock.nowMs();
    this.run(this.scheduler.tick(this.view(), nowMs));
    const plan = this.scheduler.currentPlan as Plan;
    afterTick(this.idle, plan, this.scheduler.fenced(nowMs), nowMs, this.options.config);
    this.timer = setTimeout(() => this.tick(), nextTickInMs(this.idle, nowMs, tickMs));
    if (plan.hasMajority) this.options.fence.sawMajority();
    if (censusDue(plan, this.options.swim.id, this.censusAtMs, nowMs, this.options.config.censusMs)) {
      this.censusAtMs = nowMs;
      this.options.swim.census();
    }
    const signature = (this.desired() ?? []).map((s) => `${s.workload.key}/${s.index}@${s.assignment.epoch}`).join(' ');
    if (signature === this.desiredSignature) return;
    this.desiredSignature = signature;
    for (const listener of this.desiredListeners) listener();
  }

  private receive(from: string, frame: Uint8Array): void {
    const decoded = decodeAnswers(frame);
    if (!decoded.ok) {
      this.counters.dropped[decoded.error.code] = (this.counters.dropped[decoded.error.code] ?? 0) + 1;
      return;
    }
    this.counters.answersReceived += decoded.value.length;
    if (this.scheduler.currentPlan === undefined) return;
    this.run(this.scheduler.receive(from, decoded.value, this.options.clock.nowMs()));
    Object.assign(this.counters.dropped, this.scheduler.refused);
  }

  private run(effects: SchedulerEffect[]): void {
    for (const effect of effects) {
      if (effect.type === 'send') {
        const addrs = this.options.swim.member(effect.to)?.record.addrs ?? [];
        this.counters.answersSent += effect.answers.length;
        for (const frame of answerFrames(effect.answers)) void this.transport?.send(effect.to, addrs, frame);
      } else if (effect.type === 'claim') {
        this.countDecision(effect.claim, effect.decidedAfterMs);
        const { epoch, collector: _collector, ...decision } = effect.claim;
        const ops = [{ key: placementKey(effect.workload, effect.index), set: { [placementField(epoch, this.options.swim.id)]: decision } }];
        this.options.writer.write(ops).then(
          (ok) => (ok ? this.counters.claimsWritten++ : this.counters.claimFailures++),
          (e: unknown) => {
            this.counters.claimFailures++;
            this.options.log.warn({ error: String(e) }, 'could not write a placement decision; the standby collector will');
          },
        );
      } else {
        const e = effect.event;
        const message =
          e.kind === 'placed'
            ? `slot ${e.index} placed on ${e.node} (epoch ${e.epoch}, ${e.because}; ${e.bids} bids, ${e.answered} of ${e.live} answered, ${(e.afterMs / 1000).toFixed(1)} s)`
            : `slot ${e.index} unschedulable (epoch ${e.epoch}): ${
                Object.entries(e.declines)
                  .map(([r, n]) => `${n} ${r}`)
                  .join(', ') || 'no node answered'
              }`;
        this.options.events.record({ atMs: this.options.clock.nowMs(), node: this.options.swim.id, kind: e.kind, object: e.workload, message });
        this.options.log.info({ workload: e.workload, slot: e.index }, message);
      }
    }
  }
}

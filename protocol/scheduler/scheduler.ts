import { bidFor, isBid, isDeferral, winner, type Bid, type Decline } from '../auction/bid.js';
import type { Candidate } from '../auction/candidate.js';
import { heardOut, isClosed } from '../auction/close.js';
import { checkFeasibility } from '../auction/filters/index.js';
import { ReservationLedger } from '../auction/reservations.js';
import { addResources } from '../auction/resources.js';
import { slotKey, tiebreak } from '../auction/slot.js';
import { shuffle, type Random } from '../../base/random.js';
import { MajoritySight } from './majority-sight.js';
import { CollectorRing } from './collectors.js';
import { forecast } from './forecast.js';
import type { SchedulerConfig } from './config.js';
import { placedTotals, RoomFreed } from './room-freed.js';
import { loadOf, planCluster, replicasByLabelValue, type NodeLoad, type OpenAuction, type PlacedSlot, type Plan } from './plan.js';
import { schedulableCount } from './resolve.js';
import { failedHere, type DeclineClock } from './failed-here.js';
import type { Claim, ClusterView } from './view.js';

export type Answer = Bid | Decline;

export type SchedulerEvent =
  /** `bids` of `answered` live members (`live` in all) bid, and the collector decided `afterMs` after it opened the auction. */
  | { kind: 'placed'; workload: string; index: number; epoch: number; node: string; because: string; bids: number; answered: number; live: number; afterMs: number }
  | { kind: 'unschedulable'; workload: string; index: number; epoch: number; declines: Record<string, number>; retryAtMs: number };

export type SchedulerEffect =
  | { type: 'send'; to: string; answers: Answer[] }
  /** Write this collector's decision into the slot's Placement object; `decidedAfterMs` since this node opened the collection. */
  | { type: 'claim'; workload: string; index: number; claim: Claim; decidedAfterMs: number }
  | { type: 'event'; event: SchedulerEvent };

interface Collection {
  auction: OpenAuction;
  openedAtMs: number;
  answers: Map<string, Answer>;
  bids: number;
  deferrals: number;
  /** Every live member had answered and none had bid: the next bids are late ones. */
  waitingForBids: boolean;
  lateBidAtMs: number | undefined;
  closedAtMs: number | undefined;
  claimed: boolean;
}

/** This node's answer to one open auction: undefined until first decided, then re-decided while deferred. */
interface MyAnswer {
  auction: OpenAuction;
  answer: Answer | undefined;
  seenAtMs: number;
  sentAtMs: number;
}

/**
 * One node's part in scheduling, as a pure state machine. Every tick it plans the
 * cluster from its view; answers every open auction: a bid (reserving what it bids)
 * where the forecast names it, a deferral elsewhere, a decline when it cannot take the
 * slot; and, for the auctions it collects, closes them by the rule and emits its
 * decision as a claim to write into the document. node/ and testnet/sim drive it.
 */
export class Scheduler {
  private view: ClusterView | undefined;
  private plan: Plan | undefined;
  private ring: { nodes: ClusterView['nodes']; ring: CollectorRing; live: ReadonlySet<string> } | undefined;
  private readonly reservations = new ReservationLedger();
  private readonly mine = new Map<string, MyAnswer>();
  private readonly collecting = new Map<string, Collection>();
  private readonly early = new Map<string, Map<string, Answer>>();
  private lastForecast: { key: string; nodes: Map<string, string> } | undefined;
  /** Live members that did not answer the last auction this node closed, until they answer again: see close.ts. */
  private readonly silent = new Set<string>();
  private readonly sight: MajoritySight;
  private readonly roomFreed = new RoomFreed();
  /** Answers refused: from a node this node's view does not hold as a member (alive or suspect), or a bid whose tiebreak is not its own. */
  readonly refused = { 'not-a-member': 0, tiebreak: 0 };
  /** Auctions this node has collected answers for, as one of their collectors: the metric of auctions opened. */
  auctionsCollected = 0;

  /** `majoritySeenAtMs`: see MajoritySight. */
  constructor(
    readonly self: string,
    private readonly config: SchedulerConfig,
    private readonly random: Random,
    majoritySeenAtMs: number,
  ) {
    this.sight = new MajoritySight(config.fenceMs, majoritySeenAtMs);
  }

  tick(view: ClusterView, nowMs: number): SchedulerEffect[] {
    this.view = view;
    const majoritySinceMs = this.sight.observe(view, this.self, nowMs);
    this.roomFreed.begin(this.plan === undefined ? undefined : placedTotals(this.plan.placed));
    const plan = (this.plan = planCluster(view, nowMs, this.config, majoritySinceMs, this.roomFreed));
    this.forgetClosed(plan, nowMs);
    const effects: SchedulerEffect[] = [];
    this.answer(plan, nowMs, effects);
    for (const auction of plan.open) this.openCollection(auction, nowMs);
    for (const collection of this.collecting.values()) this.close(collection, nowMs, effects);
    return effects;
  }

  /** Answers from another node, for auctions this node collects. */
  receive(from: string, answers: readonly Answer[], nowMs: number): SchedulerEffect[] {
    const effects: SchedulerEffect[] = [];
    const touched = new Set<Collection>();
    for (const answer of answers) {
      if (answer.node !== from) continue;
      if (!this.acceptable(answer)) continue;
      this.silent.delete(from);
      const collection = this.collecting.get(answer.auction);
      if (collection === undefined) this.holdEarly(answer);
      else if (collection.closedAtMs === undefined) {
        record(collection, answer, nowMs);
        touched.add(collection);
      }
    }
    for (const collection of touched) this.close(collection, nowMs, effects);
    return effects;
  }

  /** The slots this node should run now: placed here, less majority workloads it must fence. */
  desired(nowMs: number): PlacedSlot[] {
    const fenced = this.fenced(nowMs);
    return (this.plan?.placed ?? []).filter((s) => s.assignment.node === this.self && !(fenced && s.workload.partitionPolicy === 'majority'));
  }

  /**
   * This node must not run `majority` replicas now: it has not seen a majority for
   * fenceMs (the lease its fence keeper enforces too), or is catching up after it did again.
   */
  fenced(nowMs: number): boolean {
    return this.sight.fenced(nowMs);
  }

  /** This node completed an anti-entropy exchange with `peer`, begun at `startedAtMs`: it holds everything the peer held then. */
  synced(peer: string, startedAtMs: number): void {
    this.sight.synced(peer, startedAtMs);
  }

  /** Back in a majority's sight after a time away, and not yet caught up with it. */
  get catchingUp(): boolean {
    return this.sight.catchingUp;
  }

  /** When a tick last showed this node a majority (or what it was constructed with). */
  get majoritySeenAtMs(): number {
    return this.sight.lastSeenAtMs;
  }

  get currentPlan(): Plan | undefined {
    return this.plan;
  }

  /**
   * A bid from outside this node's view of the members, or with a tiebreak other than its hash,
   * would win auctions for a node the others do not see (and win each next epoch again).
   * An answer that comes before this node's first view is judged when its auction opens.
   */
  private acceptable(answer: Answer): boolean {
    if (this.view === undefined) return true;
    // A suspect is still a member: a slow node's bid counts as it did.
    const state = this.view.nodes.get(answer.node)?.state;
    if (state !== 'alive' && state !== 'suspect') {
      this.refused['not-a-member']++;
      return false;
    }
    if (isBid(answer) && answer.tiebreak !== tiebreak(answer.auction, answer.node)) {
      this.refused.tiebreak++;
      return false;
    }
    return true;
  }

  /** The live members and their ring, rebuilt only when the membership changes: every answer that arrives asks. */
  private members(): { ring: CollectorRing; live: ReadonlySet<string> } {
    const view = this.view as ClusterView;
    if (this.ring?.nodes !== view.nodes) {
      const live = new Set([...view.nodes.values()].filter((n) => n.state === 'alive').map((n) => n.id));
      this.ring = { nodes: view.nodes, ring: new CollectorRing(live), live };
    }
    return this.ring;
  }

  private collectorsOf(auction: string): string[] {
    return this.members().ring.collectorsOf(auction, this.config.collectors);
  }

  private answer(plan: Plan, nowMs: number, effects: SchedulerEffect[]): void {
    for (const auction of plan.open) {
      const mine = this.mine.get(auction.id);
      if (mine !== undefined) mine.auction = auction;
    }
    const fresh = shuffle(
      plan.open.filter((a) => !this.mine.has(a.id)),
      this.random,
    );
    for (const auction of fresh) this.mine.set(auction.id, { auction, answer: undefined, seenAtMs: nowMs, sentAtMs: -Infinity });
    this.decide(plan, nowMs);
    const outbox = new Map<string, Answer[]>();
    for (const auction of plan.open) {
      const mine = this.mine.get(auction.id) as MyAnswer;
      if (mine.answer === undefined || nowMs - mine.sentAtMs < this.config.resendMs) continue;
      mine.sentAtMs = nowMs;
      for (const collector of this.collectorsOf(auction.id)) {
        if (collector === this.self) this.collectOwn(mine.answer, nowMs);
        else outbox.set(collector, [...(outbox.get(collector) ?? []), mine.answer]);
      }
    }
    for (const [to, answers] of outbox) effects.push({ type: 'send', to, answers });
  }

  /**
   * Answers the auctions seen for the first time, and turns deferrals into bids once the
   * forecast names this node, or once an auction has waited deferMs (then any node that
   * can take the slot bids, so a slot whose forecast node cannot take it is not left open).
   */
  private decide(plan: Plan, nowMs: number): void {
    if (!this.anyUndecided()) return;
    const forecastNode = this.forecastFor(plan, nowMs);
    const load = loadOf(this.self, plan.placed);
    const present = this.presentByWorkload(load);
    for (const mine of this.mine.values()) {
      if (mine.answer !== undefined && !isDeferral(mine.answer)) continue;
      const mayBid = forecastNode.get(mine.auction.id) === this.self || nowMs - mine.seenAtMs >= this.config.deferMs;
      if (mine.answer !== undefined && !mayBid) continue;
      const answer = this.answerFor(mine.auction, plan, load, present, mayBid, nowMs);
      if (mine.answer === undefined || !isDeferral(answer)) {
        mine.answer = answer;
        mine.sentAtMs = -Infinity;
      }
      if (isBid(answer)) present.set(mine.auction.workload.key, (present.get(mine.auction.workload.key) ?? 0) + 1);
    }
  }

  private anyUndecided(): boolean {
    for (const mine of this.mine.values()) if (mine.answer === undefined || isDeferral(mine.answer)) return true;
    return false;
  }

  /**
   * The forecast, computed again only when what it depends on may have changed: while
   * auctions wait for other nodes' bids, ticks would otherwise repeat it unchanged. The
   * key is coarse; a forecast kept a tick too long (or past a failed-here decline's end)
   * costs at most a deferral of deferMs.
   */
  private forecastFor(plan: Plan, nowMs: number): Map<string, string> {
    const view = this.view as ClusterView;
    let nodes = 0;
    // Images a node holds: the forecast prefers holders, so one that gained or lost an image may change it.
    let images = 0;
    for (const n of view.nodes.values()) {
      if (n.state !== 'alive' || n.cordoned || n.draining) continue;
      nodes += n.capacity.cpuMillis + n.capacity.memoryBytes / 2 ** 20 + 1;
      images += n.images?.size ?? 0;
    }
    const held = new Set<string>();
    for (const [id, mine] of this.mine) if (mine.answer !== undefined && isBid(mine.answer)) held.add(id);
    const key = `${nodes}/${images}/${plan.placed.length}/${plan.open.length}/${plan.open[0]?.id}/${plan.open.at(-1)?.id}/${view.statuses.size}/${held.size}`;
    if (this.lastForecast?.key !== key) this.lastForecast = { key, nodes: forecast(view, plan, this.declineClock(nowMs), { node: this.self, auctions: held }) };
    return this.lastForecast.nodes;
  }

  /** Replicas of each workload placed here or bid for: what the per-node limit and the anti-affinity count. */
  private presentByWorkload(load: NodeLoad): Map<string, number> {
    const present = new Map(load.replicasByWorkload);
    for (const mine of this.mine.values()) {
      if (mine.answer !== undefined && isBid(mine.answer)) present.set(mine.auction.workload.key, (present.get(mine.auction.workload.key) ?? 0) + 1);
    }
    return present;
  }

  /** When, and for how long, a failed-here decline holds: the forecast and the answers judge it alike. */
  private declineClock(nowMs: number): DeclineClock {
    return { nowMs, declineMs: this.config.failedHereDeclineMs };
  }

  private answerFor(auction: OpenAuction, plan: Plan, load: NodeLoad, present: ReadonlyMap<string, number>, mayBid: boolean, nowMs: number): Answer {
    const view = this.view as ClusterView;
    const slot = slotKey({ workload: auction.workload.key, index: auction.index });
    if ((view.statuses.get(slot) ?? []).some((s) => s.node === this.self && failedHere(s, auction.workload, this.declineClock(nowMs)))) {
      return { auction: auction.id, node: this.self, reason: 'failed-here', detail: 'the replica could not run on this node' };
    }
    const me = view.nodes.get(this.self);
    const { demand } = auction.workload;
    const candidate: Candidate = {
      id: this.self,
      labels: me?.labels ?? {},
      capacity: me?.capacity ?? { cpuMillis: 0, memoryBytes: 0 },
      allocated: addResources(load.allocated, this.reservations.total(nowMs)),
      hostPortsInUse: new Set([...load.hostPorts, ...this.reservations.hostPorts(nowMs)]),
      schedulable: me !== undefined && me.state === 'alive' && !me.cordoned && !me.draining,
      replicasByWorkload: present,
      images: me?.images,
    };
    const spread = demand.spreadBy === undefined ? new Map<string, number>() : replicasByLabelValue(demand.workload, demand.spreadBy, plan.placed, view);
    const answer = bidFor(auction.id, auction.workload.policy, demand, candidate, { replicasByLabelValue: spread });
    if (!isBid(answer)) {
      // Refused only because of this node's own open bids: those may be lost, and then it can take the slot.
      const unbid = { ...candidate, allocated: load.allocated, hostPortsInUse: load.hostPorts, replicasByWorkload: load.replicasByWorkload };
      return checkFeasibility(demand, unbid).ok ? deferral(auction.id, this.self, 'its open bids hold the room this slot needs') : answer;
    }
    if (!mayBid) return deferral(auction.id, this.self, 'the forecast names another node');
    this.reservations.reserve(auction.id, demand.resources, demand.hostPorts, nowMs + this.config.reservationTtlMs);
    return answer;
  }

  private collectOwn(answer: Answer, nowMs: number): void {
    const collection = this.collecting.get(answer.auction);
    if (collection === undefined) this.holdEarly(answer);
    else if (collection.closedAtMs === undefined) record(collection, answer, nowMs);
  }

  private holdEarly(answer: Answer): void {
    let byNode = this.early.get(answer.auction);
    if (byNode === undefined) {
      if (this.early.size >= this.config.maxEarlyAnswers) this.early.delete(this.early.keys().next().value as string);
      this.early.set(answer.auction, (byNode = new Map()));
    }
    byNode.set(answer.node, answer);
  }

  private openCollection(auction: OpenAuction, nowMs: number): void {
    if (this.collecting.has(auction.id) || !this.collectorsOf(auction.id).includes(this.self)) return;
    const collection: Collection = {
      auction,
      openedAtMs: nowMs,
      answers: new Map(),
      bids: 0,
      deferrals: 0,
      waitingForBids: false,
      lateBidAtMs: undefined,
      closedAtMs: undefined,
      claimed: false,
    };
    for (const answer of this.early.get(auction.id)?.values() ?? []) if (this.acceptable(answer)) record(collection, answer, nowMs);
    this.early.delete(auction.id);
    this.collecting.set(auction.id, collection);
    this.auctionsCollected++;
  }

  private close(collection: Collection, nowMs: number, effects: SchedulerEffect[]): void {
    const view = this.view as ClusterView;
    if (collection.claimed) return;
    if (collection.closedAtMs === undefined) {
      const { live } = this.members();
      const progress = {
        openedAtMs: collection.openedAtMs,
        windowMs: this.config.windowMs,
        silentWindowMs: this.config.silentWindowMs,
        silent: this.silent,
        liveMembers: live,
        answered: collection.answers,
        bids: collection.bids,
        deferring: this.deferring(collection, live, nowMs),
        lateBidAtMs: collection.lateBidAtMs,
        gatherMs: this.config.gatherMs,
      };
      if (!isClosed(progress, nowMs)) {
        if (collection.bids === 0 && heardOut(progress, nowMs)) collection.waitingForBids = true;
        return;
      }
      collection.closedAtMs = nowMs;
      this.silent.clear();
      for (const member of live) if (!collection.answers.has(member)) this.silent.add(member);
    }
    const rank = this.collectorsOf(collection.auction.id).indexOf(this.self);
    if (rank < 0 || nowMs < collection.closedAtMs + rank * this.config.standbyMs) return;
    collection.claimed = true;
    const { auction } = collection;
    const answers = [...collection.answers.values()];
    const declines: Record<string, number> = {};
    for (const a of answers) if (!isBid(a)) declines[a.reason] = (declines[a.reason] ?? 0) + 1;
    const best = winner(answers.filter(isBid));
    const claim: Claim =
      best === undefined
        ? { epoch: auction.epoch, collector: this.self, unschedulable: true, declines, retryAtMs: nowMs + this.retryDelayMs(auction), liveMembers: schedulableCount(view.nodes) }
        : {
            epoch: auction.epoch,
            collector: this.self,
            winner: best.node,
            score: best.score,
            tiebreak: best.tiebreak,
            bids: answers.length - Object.values(declines).reduce((a, b) => a + b, 0),
            declines,
          };
    const decidedAfterMs = nowMs - collection.openedAtMs;
    effects.push({ type: 'claim', workload: auction.workload.key, index: auction.index, claim, decidedAfterMs });
    const event: SchedulerEvent =
      'winner' in claim
        ? {
            kind: 'placed',
            workload: auction.workload.key,
            index: auction.index,
            epoch: auction.epoch,
            node: claim.winner,
            because: auction.because,
            bids: claim.bids,
            answered: answers.length,
            live: this.members().live.size,
            afterMs: decidedAfterMs,
          }
        : { kind: 'unschedulable', workload: auction.workload.key, index: auction.index, epoch: auction.epoch, declines, retryAtMs: claim.retryAtMs };
    effects.push({ type: 'event', event });
  }

  /** Deferrals counted as they come; past the window, only those of members still alive (a dead one will never bid). */
  private deferring(collection: Collection, live: ReadonlySet<string>, nowMs: number): number {
    if (collection.bids > 0 || collection.deferrals === 0 || nowMs - collection.openedAtMs < this.config.windowMs) return collection.deferrals;
    let count = 0;
    for (const [node, answer] of collection.answers) if (isDeferral(answer) && live.has(node)) count++;
    return count;
  }

  private retryDelayMs(auction: OpenAuction): number {
    return Math.min(this.config.retryMaxMs, this.config.retryBaseMs * 2 ** Math.min(auction.unschedulableRun, 20));
  }

  /** Auctions no longer open here are decided (or moot): their reservations and bookkeeping go. */
  private forgetClosed(plan: Plan, nowMs: number): void {
    const open = new Set(plan.open.map((a) => a.id));
    for (const id of this.mine.keys()) {
      if (open.has(id)) continue;
      this.mine.delete(id);
      this.reservations.release(id);
    }
    // Bidders release their reservation once an auction leaves their open set: answers kept
    // past that could award a node capacity it has since promised elsewhere. A standby also
    // learns here that the collector above it has written.
    for (const id of this.collecting.keys()) if (!open.has(id)) this.collecting.delete(id);
    this.reservations.expire(nowMs);
  }
}

const deferral = (auction: string, node: string, why: string): Decline => ({ auction, node, reason: 'deferred', detail: `could take it; ${why}` });

/** Keeps one answer per node, the latest, and what the close rule asks about them. */
function record(collection: Collection, answer: Answer, nowMs: number): void {
  const previous = collection.answers.get(answer.node);
  if (previous !== undefined) {
    if (isBid(previous)) collection.bids--;
    else if (isDeferral(previous)) collection.deferrals--;
  }
  collection.answers.set(answer.node, answer);
  if (isBid(answer)) {
    collection.bids++;
    if (collection.waitingForBids) collection.lateBidAtMs ??= nowMs;
  } else if (isDeferral(answer)) collection.deferrals++;
}

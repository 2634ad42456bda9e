import { TopicValidatorResult, type GossipSub, type Message } from '@libp2p/gossipsub';
import type { Logger } from 'pino';
import { UsageBook, type NodeUsage, type WorkloadUsage } from '../../protocol/usage/usage-book.js';
import { decodeUsageSummary, encodeUsageSummary, fitUsageSummary, type ReplicaUsage } from '../../protocol/usage/usage-codec.js';
import { UsageRates } from '../../protocol/usage/usage-rates.js';
import type { ContainerRuntime, ReplicaOwner } from '../agent/runtime.js';
import { usageTopic } from '../host.js';
import { countDrop } from '../read-frame.js';
import { readCustomMetrics, type CustomMetric } from './custom-metrics.js';
import { hostClock } from '../wall-clock.js';

export const DEFAULT_USAGE_INTERVAL_MS = 5_000;

/** Rounds a peer keeps a summary that names replicas: their usage must not outlive them long. */
const KEPT_ROUNDS = 4;
/**
 * Every how many rounds a node that runs nothing says so again. Every summary is a message
 * to every node, about 1% of a core each on a node of 10 (docs/benchmarks.md,
 * "Footprint"): saying "nothing" every third round was a quarter of an idle node's CPU. A
 * member that joins or comes back hears it at the next round (memberCameUp), and a node no
 * longer a live member is not listed (nodes()), so neither waits for a repeat. Rounds,
 * not a time: at one round a second, every 11 s.
 */
const QUIET_REPEAT_ROUNDS = 11;
/** Rounds a peer keeps a summary that names none: past two repeats, so one lost message does not drop it from its book. */
const EMPTY_KEPT_ROUNDS = 2 * QUIET_REPEAT_ROUNDS + 2;

export type UsagePubSub = Pick<GossipSub, 'topicValidators' | 'subscribe' | 'unsubscribe' | 'publish'>;

export interface UsageServiceOptions {
  runtime: Pick<ContainerRuntime, 'usage' | 'list'>;
  /** The custom metrics a workload autoscales on, which its replicas serve and the node reads each round. */
  customMetrics?: (workload: string) => readonly CustomMetric[];
  owner: ReplicaOwner;
  pubsub: UsagePubSub;
  clusterId: string;
  /** This node's peer id. */
  self: string;
  isAdmittedPeer: (peerId: string) => boolean;
  /** Whether a node is a member SWIM holds alive or suspect: the node list shows only these. */
  isLiveMember: (peerId: string) => boolean;
  log: Logger;
  intervalMs?: number;
  /** The node's wall clock (node/wall-clock.ts): summaries' times, and what peers' are judged by. The host's by default. */
  nowMs?: () => number;
}

export interface UsageCounters {
  /** Summaries from peers taken into the book. */
  received: number;
  published: number;
  /** Rounds whose sampling failed (the engine did not answer). */
  sampleFailures: number;
  /** Summaries from peers not taken, by reason: a decode code, `unsigned`, `not-admitted`, or the book's refusal. */
  dropped: Record<string, number>;
}

export type Verdict = 'accept' | 'ignore' | 'reject';

const VERDICTS = { accept: TopicValidatorResult.Accept, ignore: TopicValidatorResult.Ignore, reject: TopicValidatorResult.Reject } as const;

/**
 * Refusals an honest node can cause, as the state topic's (node/state-service.ts): its
 * admission not yet seen here, clocks apart, gossip out of order, a newer node's format.
 * Only these are ignored; the rest are rejected.
 */
const HARMLESS: ReadonlySet<string> = new Set(['not-admitted', 'future', 'stale', 'outdated', 'version']);

/**
 * Samples what this node's replicas use, publishes it every interval, and keeps every
 * node's latest summary to answer what a workload uses cluster-wide.
 */
export class UsageService {
  readonly counters: UsageCounters = { received: 0, published: 0, sampleFailures: 0, dropped: {} };
  private readonly book: UsageBook;
  private readonly rates = new UsageRates();
  private readonly topic: string;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private round: Promise<void> | undefined;
  /** When peers last got a summary from this node that named no replica; undefined when the last one they got named some. */
  private emptyPublishedAtMs: number | undefined;

  constructor(private readonly options: UsageServiceOptions) {
    this.topic = usageTopic(options.clusterId);
    this.intervalMs = options.intervalMs ?? DEFAULT_USAGE_INTERVAL_MS;
    this.now = options.nowMs ?? hostClock.nowMs;
    // A node's usage goes once KEPT_ROUNDS pass without one from it; clocks 30 s apart (or two rounds, if longer) are believed.
    // Peers may sample at another interval than this node: the default one sizes the book when sampling is off here.
    const peerIntervalMs = this.intervalMs > 0 ? this.intervalMs : DEFAULT_USAGE_INTERVAL_MS;
    this.book = new UsageBook({ ttlMs: peerIntervalMs * KEPT_ROUNDS, emptyTtlMs: peerIntervalMs * EMPTY_KEPT_ROUNDS, maxSkewMs: Math.max(30_000, peerIntervalMs * 2) });
  }

  /** Subscribes, and takes a first sample at once so that the first round has rates to publish. */
  start(): void {
    const { pubsub } = this.options;
    pubsub.topicValidators.set(this.topic, (_relay, message) => VERDICTS[this.validate(message)]);
    pubsub.subscribe(this.topic);
    this.running = true;
    // Sampling off (`--usage-interval 0`): the node still hears what the others use.
    if (this.intervalMs === 0) return;
    this.startRound(async () => {
      await this.sample();
    });
    this.timer = setInterval(() => this.tick().catch((e: unknown) => this.options.log.warn({ error: String(e) }, 'a usage round failed')), this.intervalMs);
  }

  stop(): void {
    this.running = false;
    clearInterval(this.timer);
    this.options.pubsub.topicValidators.delete(this.topic);
    try {
      this.options.pubsub.unsubscribe(this.topic);
    } catch {
      // The host stopped first: a stopped gossipsub holds no subscriptions.
    }
  }

  /**
   * One round: sample, publish, keep our own summary; the timer calls it. While a round
   * is still running (a slow engine) no other starts: this waits for that one instead.
   */
  tick(): Promise<void> {
    return this.round ?? this.startRound(() => this.publishRound());
  }

  /** A gossiped summary: the message's signer is its sender. */
  validate(message: Message): Verdict {
    return this.fromGossip(message.type === 'signed' ? message.from.toString() : undefined, message.data);
  }

  /** A summary signed by `sender` (undefined: unsigned), taken into the book or counted as dropped. */
  fromGossip(sender: string | undefined, data: Uint8Array): Verdict {
    if (sender === undefined) return this.drop('unsigned');
    if (!this.options.isAdmittedPeer(sender)) return this.drop('not-admitted');
    const decoded = decodeUsageSummary(data);
    if (!decoded.ok) return this.drop(decoded.error.code);
    const taken = this.book.receive(decoded.value, sender, this.now());
    if (!taken.ok) return this.drop(taken.error);
    this.counters.received++;
    return 'accept';
  }

  /** Each live member's usage: a node that left or died goes at once, though peers keep its last summary (an empty one long). */
  nodes(): NodeUsage[] {
    return this.book.nodes(this.now()).filter((n) => this.options.isLiveMember(n.node));
  }

  /**
   * A member joined, or came back from dead: it has none of the summaries peers repeat
   * only now and then, so this node's next round publishes its own even if it would be
   * a quiet one.
   */
  memberCameUp(): void {
    this.emptyPublishedAtMs = undefined;
  }

  workloads(): WorkloadUsage[] {
    return this.book.workloads(this.now());
  }

  workload(key: string): WorkloadUsage | undefined {
    return this.book.workload(key, this.now());
  }

  private startRound(round: () => Promise<void>): Promise<void> {
    const running = round().finally(() => {
      this.round = undefined;
    });
    this.round = running;
    return running;
  }

  private drop(reason: string): Verdict {
    countDrop(this.counters.dropped, reason);
    return HARMLESS.has(reason) ? 'ignore' : 'reject';
  }

  /** Undefined when the runtime could not be read; the rates then wait for the next round. */
  private async sample(): Promise<ReplicaUsage[] | undefined> {
    try {
      return await this.withCustomMetrics(this.rates.next(await this.options.runtime.usage(this.options.owner)));
    } catch (e) {
      this.counters.sampleFailures++;
      this.options.log.warn({ error: String(e) }, 'could not read what the replicas use');
      return undefined;
    }
  }

  /** Adds what each replica serves of its workload's custom metrics, read at once from all of them. */
  private async withCustomMetrics(usage: ReplicaUsage[]): Promise<ReplicaUsage[]> {
    const read = this.options.customMetrics;
    if (read === undefined) return usage;
    // Once a workload a round: reading a workload's metrics parses its autoscale policy, and a node runs many replicas of few workloads.
    const byWorkload = new Map<string, readonly CustomMetric[]>();
    const metricsOf = (workload: string): readonly CustomMetric[] => {
      let metrics = byWorkload.get(workload);
      if (metrics === undefined) byWorkload.set(workload, (metrics = read(workload)));
      return metrics;
    };
    const wanted = usage.filter((u) => metricsOf(u.workload).length > 0);
    if (wanted.length === 0) return usage;
    const addresses = new Map((await this.options.runtime.list(this.options.owner)).map((r) => [`${r.workload}#${r.slot}#${r.epoch}`, r.address]));
    // Within the round: a replica that does not answer in time has no reading this round.
    const timeoutMs = Math.min(2_000, Math.max(250, this.intervalMs / 2));
    await Promise.all(
      wanted.map(async (u) => {
        const address = addresses.get(`${u.workload}#${u.slot}#${u.epoch}`);
        if (address !== undefined) u.custom = await readCustomMetrics(address, metricsOf(u.workload), timeoutMs);
      }),
    );
    return usage;
  }

  private async publishRound(): Promise<void> {
    const replicas = await this.sample();
    if (replicas === undefined || !this.running) return;
    const summary = fitUsageSummary({ node: this.options.self, atMs: this.now(), replicas });
    this.book.prune(summary.atMs);
    this.book.receive(summary, this.options.self, summary.atMs);
    const empty = summary.replicas.length === 0;
    if (empty && this.emptyPublishedAtMs !== undefined && summary.atMs + this.intervalMs - this.emptyPublishedAtMs <= QUIET_REPEAT_ROUNDS * this.intervalMs) return;
    try {
      await this.options.pubsub.publish(this.topic, encodeUsageSummary(summary));
      this.counters.published++;
      this.emptyPublishedAtMs = empty ? summary.atMs : undefined;
    } catch (e) {
      this.options.log.debug({ error: String(e) }, 'could not publish usage');
    }
  }
}

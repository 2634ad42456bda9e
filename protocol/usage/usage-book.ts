import { err, ok, type Result } from '../../base/result.js';
import type { UsageSummary } from './usage-codec.js';

export interface UsageBookConfig {
  /** A node's summary is forgotten this long after it arrived, unless a newer one replaced it. */
  ttlMs: number;
  /**
   * The same for a summary that names no replica (default: ttlMs). It may be longer: it
   * counts toward no workload's usage, so holding it after its node stopped costs nothing
   * but a line in the node list, and its node may repeat it that much less often.
   */
  emptyTtlMs?: number;
  /** How far a stamp may be ahead of this node's clock, or behind it past the TTL, and still be taken. */
  maxSkewMs: number;
}

/**
 * Why a summary was not taken. `not-sender`: it speaks for a node other than the one
 * that signed it. `future` and `stale`: its stamp is too far ahead of this node's clock,
 * or too old (a replay). `outdated`: the book holds a newer one from that node.
 */
export type UsageRefusal = 'not-sender' | 'future' | 'stale' | 'outdated';

export interface NodeUsage {
  node: string;
  /** When the node sampled, by its own clock. */
  atMs: number;
  cpuMillis: number;
  memoryBytes: number;
  replicas: number;
}

export interface PlacedReplicaUsage {
  node: string;
  slot: number;
  epoch: number;
  cpuMillis: number;
  memoryBytes: number;
  /** Custom metrics the replica served (its workload autoscales on them), by name. */
  custom?: Record<string, number>;
}

export interface WorkloadUsage {
  workload: string;
  replicas: PlacedReplicaUsage[];
  cpuMillis: number;
  memoryBytes: number;
}

interface Entry {
  summary: UsageSummary;
  receivedAtMs: number;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The latest usage summary of each node, as gossip brings them. Expiry counts from when
 * a summary arrived, by this node's clock, so a sender whose clock is off by less than
 * the skew bound is kept just as long as any other; its stamp only orders its summaries
 * and catches replays.
 */
export class UsageBook {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly config: UsageBookConfig) {}

  /** Takes `summary` from `sender` (the peer that signed it, or this node for its own). */
  receive(summary: UsageSummary, sender: string, nowMs: number): Result<void, UsageRefusal> {
    if (summary.node !== sender) return err('not-sender');
    if (summary.atMs > nowMs + this.config.maxSkewMs) return err('future');
    if (summary.atMs < nowMs - this.config.ttlMs - this.config.maxSkewMs) return err('stale');
    const held = this.entries.get(summary.node);
    if (held !== undefined && held.summary.atMs >= summary.atMs && !this.expired(held, nowMs)) return err('outdated');
    this.entries.set(summary.node, { summary, receivedAtMs: nowMs });
    return ok(undefined);
  }

  /** Each node with a live summary, by node id, with its totals. */
  nodes(nowMs: number): NodeUsage[] {
    return this.live(nowMs).map(({ node, atMs, replicas }) => ({
      node,
      atMs,
      cpuMillis: sum(replicas.map((r) => r.cpuMillis)),
      memoryBytes: sum(replicas.map((r) => r.memoryBytes)),
      replicas: replicas.length,
    }));
  }

  /** Each workload some live summary names, by key; its replicas by slot, epoch and node. */
  workloads(nowMs: number): WorkloadUsage[] {
    const by = new Map<string, PlacedReplicaUsage[]>();
    for (const { node, replicas } of this.live(nowMs)) {
      for (const { workload, slot, epoch, cpuMillis, memoryBytes, custom } of replicas) {
        let list = by.get(workload);
        if (list === undefined) by.set(workload, (list = []));
        list.push({ node, slot, epoch, cpuMillis, memoryBytes, ...(custom === undefined ? {} : { custom }) });
      }
    }
    return [...by.entries()]
      .sort(([a], [b]) => byText(a, b))
      .map(([workload, replicas]) => ({
        workload,
        replicas: replicas.sort((a, b) => a.slot - b.slot || a.epoch - b.epoch || byText(a.node, b.node)),
        cpuMillis: sum(replicas.map((r) => r.cpuMillis)),
        memoryBytes: sum(replicas.map((r) => r.memoryBytes)),
      }));
  }

  /** One workload's usage; undefined where no live summary names it. */
  workload(key: string, nowMs: number): WorkloadUsage | undefined {
    return this.workloads(nowMs).find((w) => w.workload === key);
  }

  /** Drops what has expired; reads skip it anyway, this frees the memory. */
  prune(nowMs: number): void {
    for (const [node, entry] of this.entries) if (this.expired(entry, nowMs)) this.entries.delete(node);
  }

  private live(nowMs: number): UsageSummary[] {
    this.prune(nowMs);
    return [...this.entries.values()].map((e) => e.summary).sort((a, b) => byText(a.node, b.node));
  }

  private expired(entry: Entry, nowMs: number): boolean {
    const ttlMs = entry.summary.replicas.length === 0 ? (this.config.emptyTtlMs ?? this.config.ttlMs) : this.config.ttlMs;
    return nowMs - entry.receivedAtMs > ttlMs;
  }
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

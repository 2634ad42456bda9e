import { err, ok, type Result } from '../protocol/result.js';
import { stampOf, verifyDelta, type Delta, type SignatureVerifier } from './delta.js';
import { DeltaDigest } from './digest.js';
import { ClusterDocument } from './document.js';
import { HybridClock, type Hlc } from './hlc.js';
import { NodeWritePolicy } from './node-writes.js';
import { OperatorRegistry } from './operators.js';
import { compareStamp } from './stamp.js';

/** Fixed at `shoal init`: the cluster's id and the operators who may write from the start. */
export interface Genesis {
  cluster: string;
  operators: string[];
}

export interface ReplicaOptions {
  verifier?: SignatureVerifier;
  /** A delta stamped further ahead of our clock than this waits (anti-entropy offers it again). */
  maxClockAheadMs: number;
  /** Tombstones older than this are collected, so deltas older than this are refused. */
  horizonMs: number;
}

export const defaultReplicaOptions = (): ReplicaOptions => ({ maxClockAheadMs: 60_000, horizonMs: 7 * 24 * 3600_000 });

export type RejectCode = 'duplicate' | 'wrong-cluster' | 'bad-signature' | 'bad-id' | 'unknown-author' | 'not-an-operator' | 'clock-ahead' | 'too-old';

export interface Rejection {
  code: RejectCode;
  detail: string;
}

/** One author signed two different deltas under one sequence number. */
export interface Equivocation {
  author: string;
  seq: number;
  ids: [string, string];
}

export interface Accepted {
  changed: string[];
  equivocation: Equivocation | undefined;
}

const MAX_EQUIVOCATIONS = 100;

/**
 * One replica of the cluster's desired state: the log of every accepted delta, the
 * document folded from the deltas whose authors were operators at their stamps, and
 * the digest anti-entropy compares. Pure: time comes in as `nowMs`.
 */
export class Replica {
  readonly digest = new DeltaDigest();
  readonly equivocations: Equivocation[] = [];
  private readonly log = new Map<string, Delta>();
  private readonly seqs = new Map<string, Map<number, string>>();
  private readonly operators: OperatorRegistry;
  private readonly nodeWrites = new NodeWritePolicy();
  private readonly clock: HybridClock;
  private folded = new ClusterDocument();

  constructor(
    readonly genesis: Genesis,
    private readonly options: ReplicaOptions = defaultReplicaOptions(),
  ) {
    this.operators = new OperatorRegistry(new Set(genesis.operators));
    this.clock = new HybridClock(options.maxClockAheadMs);
  }

  get document(): ClusterDocument {
    return this.folded;
  }

  /** A delta from the network or a client: checked, then merged. */
  receive(delta: Delta, nowMs: number): Result<Accepted, Rejection> {
    const checked = this.check(delta, nowMs);
    return checked.ok ? ok(this.commit(delta, nowMs)) : checked;
  }

  /** Every check `receive` makes, without merging: node/ stores a delta between the two. */
  check(delta: Delta, nowMs: number): Result<void, Rejection> {
    const body = delta.body;
    if (this.log.has(delta.id)) return err({ code: 'duplicate', detail: delta.id });
    if (body.cluster !== this.genesis.cluster) return err({ code: 'wrong-cluster', detail: body.cluster });
    const signature = verifyDelta(delta, this.options.verifier);
    if (!signature.ok) return err({ code: signature.error.code, detail: delta.id });
    if (!this.operators.known(body.author) && !this.nodeWrites.allows(delta)) return err({ code: 'unknown-author', detail: body.author });
    const skew = this.clock.check(body.hlc, nowMs);
    if (!skew.ok) return err({ code: 'clock-ahead', detail: `${skew.error.aheadMs} ms ahead` });
    if (body.hlc.wallMs < nowMs - this.options.horizonMs) return err({ code: 'too-old', detail: `stamped ${new Date(body.hlc.wallMs).toISOString()}` });
    return ok(undefined);
  }

  /** Merges a delta that passed `check`; a second commit of one delta changes nothing. */
  commit(delta: Delta, nowMs: number): Accepted {
    if (this.log.has(delta.id)) return { changed: [], equivocation: undefined };
    this.clock.observe(delta.body.hlc, nowMs);
    const equivocation = this.index(delta);
    return { changed: this.merge(delta), equivocation };
  }

  /** Deltas read back from our own disk were checked before they were written. */
  load(deltas: Iterable<Delta>): void {
    for (const delta of deltas) {
      if (this.log.has(delta.id)) continue;
      this.index(delta);
      this.operators.observe(delta);
    }
    this.rebuild();
  }

  /** Whether the delta's author may write at its stamp: a write that would not count is refused to clients. */
  authorizes(delta: Delta): boolean {
    return this.operators.allows(delta.body.author, stampOf(delta)) || (!this.operators.known(delta.body.author) && this.nodeWrites.allows(delta));
  }

  has(id: string): boolean {
    return this.log.has(id);
  }

  get(id: string): Delta | undefined {
    return this.log.get(id);
  }

  get size(): number {
    return this.log.size;
  }

  /** The sequence number the author should sign next. */
  nextSeq(author: string): number {
    let max = 0;
    for (const seq of this.seqs.get(author)?.keys() ?? []) max = Math.max(max, seq);
    return max + 1;
  }

  /** A clock reading for a write made here at `nowMs`, after everything this replica has seen. */
  stampNow(nowMs: number): Hlc {
    return this.clock.now(nowMs);
  }

  activeOperators(nowMs: number): string[] {
    return this.operators.active({ hlc: { wallMs: nowMs, counter: 0 }, author: '', id: '' });
  }

  /**
   * Garbage collection: tombstones older than the horizon go, and so do the deltas
   * older than the horizon that touch only collected objects. Every replica applies the
   * same rule, and refuses deltas older than the horizon, so none comes back.
   */
  collect(nowMs: number): number {
    const horizon: Hlc = { wallMs: nowMs - this.options.horizonMs, counter: 0 };
    const collected = this.document.collect(horizon);
    if (collected === 0) return 0;
    for (const [id, delta] of this.log) {
      if (delta.body.hlc.wallMs >= horizon.wallMs) continue;
      if (delta.body.ops.every((op) => this.document.get(op.key) === undefined && this.document.lastWrite(op.key) === undefined)) {
        this.log.delete(id);
        this.digest.remove(id);
      }
    }
    return collected;
  }

  private index(delta: Delta): Equivocation | undefined {
    this.log.set(delta.id, delta);
    this.digest.add(delta.id);
    const { author, seq } = delta.body;
    let bySeq = this.seqs.get(author);
    if (bySeq === undefined) this.seqs.set(author, (bySeq = new Map()));
    const previous = bySeq.get(seq);
    if (previous === undefined) {
      bySeq.set(seq, delta.id);
      return undefined;
    }
    const equivocation: Equivocation = { author, seq, ids: [previous, delta.id] };
    this.equivocations.push(equivocation);
    if (this.equivocations.length > MAX_EQUIVOCATIONS) this.equivocations.shift();
    return equivocation;
  }

  private merge(delta: Delta): string[] {
    if (this.operators.observe(delta)) return this.rebuild();
    return this.authorizes(delta) ? this.document.apply(delta) : [];
  }

  /** Operator grants changed: fold the log again so every verdict follows the new grants. */
  private rebuild(): string[] {
    const before = new Map(this.document.keys().map((k) => [k, JSON.stringify(this.document.get(k))]));
    const fresh = new ClusterDocument();
    const ordered = [...this.log.values()].sort((a, b) => compareStamp(stampOf(a), stampOf(b)));
    for (const delta of ordered) {
      if (this.authorizes(delta)) fresh.apply(delta);
    }
    this.folded = fresh;
    const after = fresh.keys();
    const changed = after.filter((k) => before.get(k) !== JSON.stringify(fresh.get(k)));
    return [...changed, ...[...before.keys()].filter((k) => fresh.get(k) === undefined)];
  }
}

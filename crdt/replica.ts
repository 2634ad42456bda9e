import { err, ok, type Result } from '../base/result.js';
import { Authority, AUTHORITY_NAMESPACE, NODE_KIND, nodeKey, touchesAuthority, type Genesis } from './authority.js';
import { AuthorChains } from './chain.js';
import { stampOf, verifyDelta, type Delta, type SignatureVerifier } from './delta.js';
import { DeltaDigest } from './digest.js';
import { HeldOps, type NodeOp } from './held-ops.js';
import { ClusterDocument } from './document.js';
import { HybridClock, type Hlc } from './hlc.js';
import { NO_NODE_WRITES, type NodeWritePolicy } from './node-write-policy.js';
import { PeerIds } from './peer-ids.js';
import type { OperatorGrant } from './roles.js';

export type { Genesis } from './authority.js';

export interface ReplicaOptions {
  verifier?: SignatureVerifier;
  /** A delta stamped further ahead of our clock than this waits (anti-entropy offers it again). */
  maxClockAheadMs: number;
  /** Tombstones older than this are collected, so deltas older than this are refused. */
  horizonMs: number;
  /** What admitted nodes may write (protocol/node-writes.ts); by default nothing. */
  nodeWrites?: NodeWritePolicy;
}

export const defaultReplicaOptions = (): ReplicaOptions => ({ maxClockAheadMs: 60_000, horizonMs: 7 * 24 * 3600_000 });

export type RejectCode =
  | 'duplicate'
  | 'wrong-cluster'
  | 'bad-signature'
  | 'bad-id'
  | 'unknown-author'
  | 'not-an-operator'
  | 'not-allowed'
  | 'revoked'
  | 'demoted'
  | 'clock-ahead'
  | 'clock-counter'
  | 'too-old';

export interface Rejection {
  code: RejectCode;
  detail: string;
}

/**
 * One writer of an author signed two different deltas under one sequence number. Two
 * terminals, or two sides of a partition, are two writers: that is no equivocation.
 */
export interface Equivocation {
  author: string;
  writer: string | undefined;
  seq: number;
  ids: [string, string];
}

export interface Accepted {
  changed: string[];
  equivocation: Equivocation | undefined;
}

const MAX_EQUIVOCATIONS = 100;

/** Admitting joiners is the one authority write a node makes, and never of itself. */
const admitsOthers = (delta: Delta): boolean =>
  delta.body.ops.every((op) => 'set' in op && op.key.startsWith(`${NODE_KIND}/${AUTHORITY_NAMESPACE}/`) && op.key !== nodeKey(delta.body.author));

type Role = 'operator' | 'node';

const writerKey = (author: string, writer: string | undefined): string => `${author}/${writer ?? ''}`;

/**
 * One replica of the cluster's desired state: the log of every accepted delta, the
 * document folded from the writes that count, and the digest anti-entropy compares.
 * What counts is a function of the log alone (authority.ts for who may write, the
 * node write policy for what a node may write), so replicas holding the same deltas show
 * the same document, whatever order the deltas came in. Pure: time comes in as `nowMs`.
 */
export class Replica {
  readonly digest = new DeltaDigest();
  readonly equivocations: Equivocation[] = [];
  private readonly log = new Map<string, Delta>();
  private readonly seqs = new Map<string, Map<number, string>>();
  private readonly chains = new AuthorChains();
  private readonly peerIds = new PeerIds();
  /** Object key → ids of the held deltas with an op on it, to fold one object again. */
  private readonly byKey = new Map<string, Set<string>>();
  /** Owner key (a workload) → the keys nodes wrote for it (its Placement, Status, Rollout...). */
  private readonly nodeObjects = new Map<string, Set<string>>();
  /** Node ops that did not count when last judged: a change they depend on may make them count. */
  private readonly held: HeldOps;
  /** Owners that exist now: a change that makes one exist or go is told to the policy as such. */
  private readonly liveOwners = new Set<string>();
  private readonly clock: HybridClock;
  private readonly policy: NodeWritePolicy;
  private authority: Authority;
  private folded = new ClusterDocument();

  constructor(
    readonly genesis: Genesis,
    private readonly options: ReplicaOptions = defaultReplicaOptions(),
  ) {
    this.authority = Authority.of(genesis);
    this.clock = new HybridClock(options.maxClockAheadMs);
    this.policy = options.nodeWrites ?? NO_NODE_WRITES;
    this.held = new HeldOps(this.policy);
  }

  get document(): ClusterDocument {
    return this.folded;
  }

  /** A delta from the network or a client: checked, then merged. */
  receive(delta: Delta, nowMs: number): Result<Accepted, Rejection> {
    const checked = this.check(delta, nowMs);
    return checked.ok ? ok(this.commit(delta, nowMs)) : checked;
  }

  /**
   * Every check `receive` makes, without merging: node/ stores a delta between the two.
   * Cheap checks come first, so a stranger's flood costs no signature verification.
   * A delta a peer `held` (anti-entropy) may be older than the horizon: the peer has not
   * collected it, so it still counts there, and a node that joins a cluster older than
   * the horizon needs it; a new write that old is refused, since it could bring back an
   * object whose tombstone was collected.
   */
  check(delta: Delta, nowMs: number, origin: 'new' | 'held' = 'new'): Result<void, Rejection> {
    const body = delta.body;
    if (this.log.has(delta.id)) return err({ code: 'duplicate', detail: delta.id });
    if (body.cluster !== this.genesis.cluster) return err({ code: 'wrong-cluster', detail: body.cluster });
    const author = this.checkAuthor(delta);
    if (!author.ok) return author;
    const skew = this.clock.check(body.hlc, nowMs);
    if (!skew.ok) {
      return skew.error.code === 'clock-ahead'
        ? err({ code: 'clock-ahead', detail: `${skew.error.aheadMs} ms ahead` })
        : err({ code: 'clock-counter', detail: `hlc.counter ${skew.error.counter} is past the bound` });
    }
    if (origin === 'new' && body.hlc.wallMs < nowMs - this.options.horizonMs) return err({ code: 'too-old', detail: `stamped ${new Date(body.hlc.wallMs).toISOString()}` });
    const signature = verifyDelta(delta, this.options.verifier);
    if (!signature.ok) return err({ code: signature.error.code, detail: delta.id });
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
    for (const delta of deltas) if (!this.log.has(delta.id)) this.index(delta);
    this.rebuild();
  }

  /** Whether every op of the delta would count now: a write that would not is refused to clients. */
  authorizes(delta: Delta): boolean {
    const role = this.roleOf(delta);
    if (role === 'operator') return true;
    if (role !== 'node') return false;
    if (admitsOthers(delta)) return true;
    const node = this.peerIds.of(delta.body.author) as string;
    return !touchesAuthority(delta) && delta.body.ops.every((op) => this.policy.counts(this.folded, op, node));
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

  /** The sequence number the author's writer should sign next. */
  nextSeq(author: string, writer?: string): number {
    let max = 0;
    for (const seq of this.seqs.get(writerKey(author, writer))?.keys() ?? []) max = Math.max(max, seq);
    return max + 1;
  }

  /** The author's latest deltas: the `prev` of its next one, and what a revocation pins. */
  heads(author: string): string[] {
    return this.chains.headsOf(author);
  }

  /** A clock reading for a write made here at `nowMs`, after everything this replica has seen. */
  stampNow(nowMs: number): Hlc {
    return this.clock.now(nowMs);
  }

  /**
   * What `author` may do as an operator by everything this replica holds (the latest
   * add or remove of it, however far ahead its stamp); undefined if nothing. The API
   * authorises requests by this; a delta is judged again by its own stamp when merged.
   */
  operatorGrant(author: string): OperatorGrant | undefined {
    return this.authority.grantAt(author, { hlc: { wallMs: Number.MAX_SAFE_INTEGER, counter: 0 }, author: '', id: '' });
  }

  /** `author` was made an operator at some time (it may since have been removed or revoked). */
  wasOperator(author: string): boolean {
    return this.authority.isOperator(author);
  }

  activeOperators(nowMs: number): string[] {
    return this.authority.activeOperators({ hlc: { wallMs: nowMs, counter: 0 }, author: '', id: '' });
  }

  admittedNodes(): string[] {
    return this.authority.admittedNodes();
  }

  isAdmittedNode(author: string): boolean {
    return this.authority.isNode(author) && !this.authority.isRevoked(author);
  }

  /** Signed by a revoked key, outside what its revocation counted. */
  revokedOut(delta: Delta): boolean {
    return this.authority.revokedOut(delta);
  }

  isRevoked(author: string): boolean {
    return this.authority.isRevoked(author);
  }

  /**
   * Garbage collection: tombstones older than the horizon go, and so do the deltas
   * older than the horizon that touch only collected objects, unless a later delta of
   * their author names them (a revocation may need the chain) or they change who may
   * write. Every replica applies the same rule, and refuses deltas older than the
   * horizon, so none comes back.
   */
  collect(nowMs: number): number {
    const horizon: Hlc = { wallMs: nowMs - this.options.horizonMs, counter: 0 };
    const collected = this.document.collect(horizon);
    if (collected === 0) return 0;
    for (const [id, delta] of this.log) {
      if (delta.body.hlc.wallMs >= horizon.wallMs || touchesAuthority(delta) || this.chains.isLink(id)) continue;
      if (delta.body.ops.every((op) => this.document.get(op.key) === undefined && this.document.lastWrite(op.key) === undefined)) this.forget(delta);
    }
    return collected;
  }

  private checkAuthor(delta: Delta): Result<void, Rejection> {
    const author = delta.body.author;
    // A revocation may yet lose to a higher-ranked one that cuts its author off, and
    // then the key it revoked counts again: its own revocations must be kept to decide.
    if (this.authority.revokedOut(delta) && !touchesAuthority(delta)) {
      return err({ code: 'revoked', detail: `${author} was revoked; this delta is not among the ones its revocation counted` });
    }
    // Backdated to before a grant that lowered its role, and outside what that grant counted.
    if (this.authority.pinnedOut(delta) && !touchesAuthority(delta)) {
      return err({ code: 'demoted', detail: `${author}'s role was changed after this delta's stamp, and the change did not count it` });
    }
    if (this.authority.isOperator(author)) return ok(undefined);
    if (this.authority.isNode(author)) {
      const node = this.peerIds.of(author);
      if (node !== undefined && !touchesAuthority(delta) && delta.body.ops.every((op) => this.policy.shapeAllowed(op, node))) return ok(undefined);
      if (admitsOthers(delta)) return ok(undefined);
      return err({ code: 'not-allowed', detail: `node ${node ?? author} may write only ${this.policy.summary}` });
    }
    return err({ code: 'unknown-author', detail: author });
  }

  private roleOf(delta: Delta): Role | undefined {
    if (this.authority.operatorCounts(delta)) return 'operator';
    if (this.authority.nodeCounts(delta)) return 'node';
    return undefined;
  }

  private index(delta: Delta): Equivocation | undefined {
    this.log.set(delta.id, delta);
    this.digest.add(delta.id);
    this.chains.add(delta);
    const node = !this.authority.isOperator(delta.body.author);
    for (const op of delta.body.ops) {
      let ids = this.byKey.get(op.key);
      if (ids === undefined) this.byKey.set(op.key, (ids = new Set()));
      ids.add(delta.id);
      const owner = node ? this.policy.ownerOf(op.key) : undefined;
      if (owner === undefined) continue;
      let keys = this.nodeObjects.get(owner);
      if (keys === undefined) {
        this.nodeObjects.set(owner, (keys = new Set()));
        // From now on a key others depend on: its existence is followed from here.
        if (this.folded.get(owner) !== undefined) this.liveOwners.add(owner);
      }
      keys.add(op.key);
    }
    const { author, writer, seq } = delta.body;
    let bySeq = this.seqs.get(writerKey(author, writer));
    if (bySeq === undefined) this.seqs.set(writerKey(author, writer), (bySeq = new Map()));
    const previous = bySeq.get(seq);
    if (previous === undefined) {
      bySeq.set(seq, delta.id);
      return undefined;
    }
    const equivocation: Equivocation = { author, writer, seq, ids: [previous, delta.id] };
    this.equivocations.push(equivocation);
    if (this.equivocations.length > MAX_EQUIVOCATIONS) this.equivocations.shift();
    return equivocation;
  }

  private forget(delta: Delta): void {
    this.log.delete(delta.id);
    this.digest.remove(delta.id);
    this.chains.remove(delta);
    for (const op of delta.body.ops) this.byKey.get(op.key)?.delete(delta.id);
  }

  private merge(delta: Delta): string[] {
    // Who may write changed, or a revoked or pinned key's chain grew: every verdict may change.
    if (touchesAuthority(delta) || this.authority.isRevoked(delta.body.author) || this.authority.reachedByPin(delta)) return this.rebuild();
    const role = this.roleOf(delta);
    if (role === undefined) return [];
    if (role === 'operator') {
      // An operator's op may lift a pending node op of the same key (a decision one epoch
      // past the one it sets): judged again here, or the verdict would depend on which came first.
      const changed = this.document.apply(delta);
      for (const key of changed) if (this.held.has(key)) this.recount(key);
      return this.cascade(changed);
    }
    const node = this.peerIds.of(delta.body.author) as string;
    const stamp = stampOf(delta);
    const changed: string[] = [];
    for (const op of delta.body.ops) {
      // A counted op can only add: nothing else's verdict falls, and it may lift a held one of its key.
      if (this.policy.counts(this.folded, op, node)) {
        const shown = this.folded.applyOp(op, stamp);
        // Its key's held ops are judged again, in the policy's order.
        if (this.held.lift(op.key, this.countsNow, this.applyNodeOp) || shown) changed.push(op.key);
      } else this.held.hold(op.key, { op, delta });
    }
    return this.cascade(changed);
  }

  /** Whether a node op counts on the folded document as it is now. */
  private readonly countsNow = ({ op, delta }: NodeOp): boolean => this.policy.counts(this.folded, op, this.peerIds.of(delta.body.author) as string);

  /** Applies a node op that counts; true when what its key shows changed. */
  private readonly applyNodeOp = ({ op, delta }: NodeOp): boolean => this.folded.applyOp(op, stampOf(delta));

  /** Follows changes to what node writes depend on, as the policy says, to a fixpoint. */
  private cascade(changed: string[]): string[] {
    const all = new Set(changed);
    const queue = [...changed];
    while (queue.length > 0) {
      for (const dependent of this.dependents(queue.shift() as string)) {
        if (this.recount(dependent) && !all.has(dependent)) {
          all.add(dependent);
          queue.push(dependent);
        }
      }
    }
    return [...all];
  }

  private dependents(key: string): string[] {
    const owned = this.nodeObjects.get(key);
    if (owned !== undefined || this.liveOwners.has(key)) {
      // An owner: whether it came or went with this change.
      const exists = this.folded.get(key) !== undefined;
      const existence = exists !== this.liveOwners.has(key);
      if (exists) this.liveOwners.add(key);
      else this.liveOwners.delete(key);
      return this.policy.dependents(key, owned ?? new Set(), existence);
    }
    const owner = this.policy.ownerOf(key);
    const written = owner === undefined ? undefined : this.nodeObjects.get(owner);
    return written === undefined ? [] : this.policy.dependents(key, written, false);
  }

  /** Folds one object again from the held ops that count now; true when what it shows changed. */
  private recount(key: string): boolean {
    const before = JSON.stringify(this.folded.get(key) ?? null);
    this.folded.reset(key);
    const nodeOps: NodeOp[] = [];
    for (const id of this.byKey.get(key) ?? []) {
      const delta = this.log.get(id) as Delta;
      const role = this.roleOf(delta);
      for (const op of delta.body.ops) {
        if (op.key !== key) continue;
        if (role === 'operator') this.folded.applyOp(op, stampOf(delta));
        else if (role === 'node') nodeOps.push({ op, delta });
      }
    }
    // In the policy's order (a slot's decisions by epoch): each may raise the bound the next is judged by.
    nodeOps.sort(this.held.compare);
    const held: NodeOp[] = [];
    for (const nodeOp of nodeOps) {
      if (this.countsNow(nodeOp)) this.applyNodeOp(nodeOp);
      else held.push(nodeOp);
    }
    this.held.set(key, held);
    return JSON.stringify(this.folded.get(key) ?? null) !== before;
  }

  /** Fold the whole log again: who may write changed, so every verdict may have. */
  private rebuild(): string[] {
    const before = new Map(this.folded.keys().map((k) => [k, JSON.stringify(this.folded.get(k))]));
    this.authority = Authority.fold(this.genesis, this.log.values(), (id) => this.log.get(id));
    this.folded = new ClusterDocument();
    this.held.clear();
    for (const delta of this.log.values()) {
      const role = this.roleOf(delta);
      if (role === 'operator' || (role === 'node' && admitsOthers(delta))) this.folded.apply(delta);
    }
    this.liveOwners.clear();
    for (const owner of this.nodeObjects.keys()) if (this.folded.get(owner) !== undefined) this.liveOwners.add(owner);
    const nodeWritten = [...this.nodeObjects.values()].flatMap((keys) => [...keys]);
    // Pass by pass: what other verdicts depend on first.
    const passes = [...new Set(nodeWritten.map((k) => this.policy.pass(k)))].sort((a, b) => a - b);
    for (const pass of passes) for (const key of nodeWritten) if (this.policy.pass(key) === pass) this.recount(key);
    const after = this.folded.keys();
    const changed = after.filter((k) => before.get(k) !== JSON.stringify(this.folded.get(k)));
    return [...changed, ...[...before.keys()].filter((k) => this.folded.get(k) === undefined)];
  }
}

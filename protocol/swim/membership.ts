import { shuffle, type Random } from '../../base/random.js';
import { Awareness } from './awareness.js';
import { BroadcastQueue } from './broadcast-queue.js';
import type { SwimConfig } from './config.js';
import type { MemberDirectory } from './directory.js';
import type { Effect, MemberChange } from './effects.js';
import { expectedConfirmations } from './formulas.js';
import { IndexSet } from './index-set.js';
import type { LagHealth } from './lag.js';
import type { Incarnation, MemberId, MemberRecord, MemberState, MemberView } from './member.js';
import { MemberStatements, type MemberSignatures, type SwimRefusal } from './member-signatures.js';
import { MemberTable } from './member-table.js';
import type { SyncEntry, Update } from './messages.js';
import { Suspicion } from './suspicion.js';

/** A member taken from a snapshot: its record at incarnation 0 and, if the snapshot kept it, the member's signature of it. */
export interface LearnedMember {
  record: MemberRecord;
  signature?: string;
}

/**
 * How long a verdict held up by a stall waits: one turn of the driver's loop. Node runs
 * every expired timer before it reads its sockets, so after a stall the answer that would
 * change the verdict may be waiting unread; a timer armed from a timer runs after the read.
 */
export const LOOP_TURN_MS = 1;

/**
 * The member list and the rules that change it: SWIM's precedence of alive < suspect <
 * dead at one incarnation, refutation by a higher incarnation, Lifeguard suspicion. What
 * only a member may say (its record, its leave) counts only with its signature, and an
 * accusation only at an incarnation the member signed (member-signatures.ts).
 */
export class Membership {
  readonly table = new MemberTable();
  readonly reachable = new IndexSet();
  readonly dead = new IndexSet();
  readonly queue = new BroadcastQueue();
  readonly awareness: Awareness;
  private readonly suspicions = new Map<number, Suspicion>();
  private probeList: number[] = [];
  private probeCursor = 0;
  /** A suspect this node volunteered to re-probe, so confirmations arrive within a period. */
  private verifyNext: number | undefined;
  private selfRecord: MemberRecord;
  private selfIncarnation: Incarnation;
  private selfSignature: string;
  private readonly statements: MemberStatements;
  /** Times this member raised its incarnation to refute a suspicion or death about itself. */
  refutations = 0;
  private selfState: MemberState = 'alive';

  constructor(
    private readonly config: SwimConfig,
    private readonly directory: MemberDirectory,
    private readonly random: Random,
    self: MemberRecord,
    incarnation: Incarnation,
    private readonly out: Effect[],
    private readonly lag: LagHealth,
    signatures: MemberSignatures,
  ) {
    this.selfRecord = self;
    this.selfIncarnation = incarnation;
    this.statements = new MemberStatements(signatures);
    this.selfSignature = this.statements.signAlive(incarnation, self);
    this.awareness = new Awareness(config.awarenessMax);
  }

  /** Updates refused, by why: live counts. */
  get refused(): Readonly<Record<SwimRefusal, number>> {
    return this.statements.refused;
  }

  get selfId(): MemberId {
    return this.selfRecord.id;
  }

  get self(): MemberView {
    return { record: this.selfRecord, state: this.selfState, incarnation: this.selfIncarnation, stateChangedAtMs: 0 };
  }

  get leaving(): boolean {
    return this.selfState === 'left';
  }

  /** N in the papers' formulas: the members this node can still reach, itself included. */
  get size(): number {
    return this.reachable.size + 1;
  }

  id(index: number): MemberId {
    return this.directory.id(index);
  }

  lookup(id: MemberId): number | undefined {
    const index = this.directory.lookup(id);
    return index !== undefined && this.table.has(index) ? index : undefined;
  }

  selfAlive(): Update {
    return { kind: 'alive', incarnation: this.selfIncarnation, member: this.selfRecord, signature: this.selfSignature };
  }

  announceSelf(record: MemberRecord): void {
    this.selfRecord = record;
    this.selfIncarnation++;
    this.selfSignature = this.statements.signAlive(this.selfIncarnation, this.selfRecord);
    this.queue.enqueue(this.directory.intern(this.selfId), this.selfAlive());
  }

  leave(nowMs: number): Update {
    this.selfState = 'left';
    this.selfSignature = this.statements.signLeft(this.selfId, this.selfIncarnation);
    const update: Update = { kind: 'left', incarnation: this.selfIncarnation, id: this.selfId, signature: this.selfSignature };
    this.queue.enqueue(this.directory.intern(this.selfId), update);
    this.emit('left', this.selfId, this.selfIncarnation, nowMs);
    return update;
  }

  /** False when the update is a forgery (a signature not its member's): its message is not to be read further. */
  apply(update: Update, nowMs: number): boolean {
    switch (update.kind) {
      case 'alive':
        return this.applyAlive(update.member, update.incarnation, update.signature, nowMs, update);
      case 'suspect':
        this.applySuspect(update.id, update.incarnation, update.from, nowMs);
        return true;
      case 'dead':
      case 'left':
        return this.applyDown(update, nowMs);
    }
  }

  /**
   * memberlist's mergeState: a remote dead becomes our suspicion, so the member can still
   * refute it. An accusation above the incarnation this node holds stands on the member's
   * signature of it, which the entry carries: this node missed a refutation, or it is the
   * member, restarted below what the cluster remembers of its previous life. False for a
   * forgery, as `apply`.
   */
  merge(entry: SyncEntry, from: MemberId, nowMs: number): boolean {
    const { member, incarnation, state, signature } = entry;
    if (state === 'alive') return this.applyAlive(member, incarnation, signature, nowMs);
    if (state === 'left') return this.applyDown({ kind: 'left', incarnation, id: member.id, signature: signature ?? '' }, nowMs);
    if (signature !== undefined && this.heldBelow(member.id, incarnation) && !this.applyAlive(member, incarnation, signature, nowMs)) return false;
    this.applySuspect(member.id, incarnation, from, nowMs);
    return true;
  }

  /** Whether this node holds `id` (itself included) below `incarnation`. */
  private heldBelow(id: MemberId, incarnation: Incarnation): boolean {
    if (id === this.selfId) return incarnation > this.selfIncarnation;
    const index = this.lookup(id);
    return index !== undefined && incarnation > this.table.incarnation(index);
  }

  /**
   * Our own entry first, then up to `limit` others: the full state by default. A member
   * alive or left whose signature this node does not hold (taken from a snapshot) stays
   * out, since no peer would take it.
   */
  syncEntries(limit = Infinity): SyncEntry[] {
    const entries: SyncEntry[] = [{ member: this.selfRecord, incarnation: this.selfIncarnation, state: this.selfState, signature: this.selfSignature }];
    for (const index of this.table.indexes()) {
      if (entries.length > limit) break;
      const entry = this.entry(index);
      if (entry.signature !== undefined || entry.state === 'suspect' || entry.state === 'dead') entries.push(entry);
    }
    return entries;
  }

  /** A member as a sync carries it: with the member's signature of its record at that incarnation (of its leave, if it left), where this node holds one. */
  entry(index: number): SyncEntry {
    const entry: SyncEntry = { member: this.table.record(index), incarnation: this.table.incarnation(index), state: this.table.state(index) };
    const signature = this.table.signature(index);
    if (signature !== undefined) entry.signature = signature;
    return entry;
  }

  views(): MemberView[] {
    return [this.self, ...this.table.indexes().map((index) => this.view(index))];
  }

  view(index: number): MemberView {
    return {
      record: this.table.record(index),
      state: this.table.state(index),
      incarnation: this.table.incarnation(index),
      stateChangedAtMs: this.table.stateChangedAtMs(index),
    };
  }

  /** The next member to probe: a suspect we volunteered to verify, else shuffled round-robin. */
  nextProbeTarget(): number | undefined {
    const verify = this.verifyNext;
    this.verifyNext = undefined;
    if (verify !== undefined && this.reachable.has(verify)) return verify;
    for (let scanned = 0; scanned <= this.probeList.length; scanned++) {
      if (this.probeCursor >= this.probeList.length) {
        this.probeList = shuffle(
          this.probeList.filter((i) => this.table.has(i)),
          this.random,
        );
        this.probeCursor = 0;
        if (this.probeList.length === 0) return undefined;
      }
      const candidate = this.probeList[this.probeCursor++] as number;
      if (this.reachable.has(candidate)) return candidate;
    }
    return undefined;
  }

  /** Our own probe of `index` failed: suspect it, or confirm an open suspicion. */
  accuse(index: number, nowMs: number): void {
    this.applySuspect(this.id(index), this.table.incarnation(index), this.selfId, nowMs);
  }

  /**
   * A suspicion whose deadline has passed becomes dead; one not yet due is armed again. One
   * whose timer fired well after it was due waits one turn of the loop first: the
   * refutation may be among the input the stall left unread.
   */
  expire(id: MemberId, incarnation: Incarnation, nowMs: number): void {
    const index = this.lookup(id);
    if (index === undefined) return;
    const suspicion = this.suspicions.get(index);
    if (suspicion === undefined || suspicion.incarnation !== incarnation) return;
    const dueAtMs = suspicion.timerDueAtMs;
    if (dueAtMs !== undefined && nowMs > dueAtMs) this.lag.observe(nowMs - dueAtMs, nowMs);
    // A timer can fire a little before its deadline by our clock (Node counts timers on its
    // monotonic clock); dropped here, a suspicion nobody else confirms would never end.
    if (nowMs < suspicion.deadlineMs(this.lag.suspicionScore(index, nowMs))) return this.armSuspicion(id, suspicion, nowMs);
    if (!suspicion.held && this.lag.late(dueAtMs, nowMs)) {
      suspicion.held = true;
      return this.armSuspicionTimer(id, suspicion, nowMs, LOOP_TURN_MS);
    }
    this.applyDown({ kind: 'dead', incarnation, id, from: this.selfId }, nowMs);
  }

  /**
   * The suspect answered a probe of ours after its timeout: it lived after we suspected it,
   * so its refutation is likely on the way; our own verdict counts from the answer.
   */
  answered(index: number, incarnation: Incarnation, nowMs: number): void {
    const suspicion = this.suspicions.get(index);
    if (suspicion === undefined || suspicion.incarnation !== incarnation) return;
    // Its timer, when it fires, finds the deadline moved and arms itself again.
    suspicion.answeredAtMs = nowMs;
  }

  /** Dead and left members past retention leave the table. */
  forgetExpired(nowMs: number): void {
    for (const index of [...this.dead.values()]) {
      if (nowMs - this.table.stateChangedAtMs(index) < this.config.deadRetentionMs) continue;
      const incarnation = this.table.incarnation(index);
      this.dead.delete(index);
      this.table.remove(index);
      this.lag.forget(index);
      this.emit('forgotten', this.id(index), incarnation, nowMs);
    }
  }

  /** Takes members as known without spreading or checking them: start-up from a snapshot, not news. */
  learn(members: readonly LearnedMember[], nowMs: number): void {
    for (const { record } of members) this.directory.intern(record.id);
    this.table.reserve(this.directory.size);
    this.reachable.reserve(this.directory.size);
    for (const { record, signature } of members) this.applyAlive(record, 0, signature, nowMs, undefined, false);
  }

  /** News (`news`) is checked and spread; a snapshot's member is neither. False for a forgery. */
  private applyAlive(member: MemberRecord, incarnation: Incarnation, signature: string | undefined, nowMs: number, original?: Update, news = true): boolean {
    if (member.id === this.selfId) {
      const newer = incarnation > this.selfIncarnation;
      if (this.leaving || !(newer || (incarnation === this.selfIncarnation && !sameRecord(member, this.selfRecord)))) return true;
      // Ours from a previous life, which the cluster still remembers; anything else is forged.
      if (!this.statements.alive(member, incarnation, signature)) return false;
      this.refute(incarnation);
      return true;
    }
    const index = this.directory.intern(member.id);
    const known = this.table.has(index);
    if (known && incarnation <= this.table.incarnation(index)) return true;
    if (news && !this.statements.alive(member, incarnation, signature)) return false;
    const previous = known ? this.table.state(index) : undefined;
    const previousRecord = known ? this.table.record(index) : undefined;
    this.table.set(index, member, incarnation, 'alive', nowMs, signature);
    this.suspicions.delete(index);
    this.dead.delete(index);
    this.reachable.add(index);
    if (!known) this.addToProbeList(index);
    if (!news) return true;
    this.queue.enqueue(index, original ?? { kind: 'alive', incarnation, member, signature: signature as string });
    if (previous === undefined) this.emit('joined', member.id, incarnation, nowMs);
    else if (previous !== 'alive') this.emit('alive', member.id, incarnation, nowMs);
    else if (previousRecord !== undefined && !sameRecord(previousRecord, member)) this.emit('updated', member.id, incarnation, nowMs);
    return true;
  }

  private applySuspect(id: MemberId, incarnation: Incarnation, from: MemberId, nowMs: number): void {
    if (id === this.selfId) {
      if (this.leaving || !this.statements.accusable(incarnation, this.selfIncarnation)) return;
      if (incarnation === this.selfIncarnation) {
        this.awareness.apply(1);
        this.refute(incarnation);
      } else {
        this.reannounce();
      }
      return;
    }
    const index = this.lookup(id);
    if (index === undefined || incarnation < this.table.incarnation(index) || !this.statements.accusable(incarnation, this.table.incarnation(index))) return;
    const state = this.table.state(index);
    if (state === 'dead' || state === 'left') return;
    const update: Update = { kind: 'suspect', incarnation, id, from };
    const open = this.suspicions.get(index);
    if (state === 'suspect' && open !== undefined && open.incarnation === incarnation) {
      if (!open.confirm(from)) return;
      this.queue.enqueue(index, update);
      this.armSuspicion(id, open, nowMs);
      return;
    }
    this.table.set(index, this.table.record(index), incarnation, 'suspect', nowMs, this.table.signature(index));
    const members = this.size;
    const suspicion = new Suspicion(
      incarnation,
      nowMs,
      {
        members,
        probeIntervalMs: this.config.probeIntervalMs,
        alpha: this.config.suspicionMultiplier,
        beta: this.config.suspicionMaxMultiplier,
        expected: expectedConfirmations(this.config.suspicionMultiplier, members),
      },
      from,
    );
    this.suspicions.set(index, suspicion);
    this.queue.enqueue(index, update);
    this.armSuspicion(id, suspicion, nowMs);
    this.emit('suspect', id, incarnation, nowMs);
    if (from !== this.selfId && this.random.next() < this.config.suspicionVerifiers / members) {
      this.verifyNext = index;
    }
  }

  /** A dead is an accusation (MemberStatements.accusable); a left is the member's own word, signed. False for a forgery. */
  private applyDown(update: Extract<Update, { kind: 'dead' | 'left' }>, nowMs: number): boolean {
    const { id, incarnation } = update;
    if (id === this.selfId) {
      if (this.leaving) return true;
      // Our own leave, replayed from a previous life, is refuted as any accusation is.
      if (update.kind === 'left' && !this.statements.left(id, incarnation, update.signature)) return false;
      if (update.kind === 'dead' && !this.statements.accusable(incarnation, this.selfIncarnation)) return true;
      if (incarnation >= this.selfIncarnation) this.refute(incarnation);
      else this.reannounce();
      return true;
    }
    const index = this.lookup(id);
    if (index === undefined || incarnation < this.table.incarnation(index)) return true;
    const state = this.table.state(index);
    if (state === 'left' || (state === 'dead' && update.kind === 'dead')) return true;
    if (update.kind === 'left') {
      if (!this.statements.left(id, incarnation, update.signature)) return false;
      this.table.set(index, this.table.record(index), incarnation, 'left', nowMs, update.signature);
    } else {
      if (!this.statements.accusable(incarnation, this.table.incarnation(index))) return true;
      this.table.set(index, this.table.record(index), incarnation, 'dead', nowMs, this.table.signature(index));
    }
    this.suspicions.delete(index);
    this.reachable.delete(index);
    this.dead.add(index);
    this.queue.enqueue(index, update);
    if (state !== 'dead') this.emit(update.kind, id, incarnation, nowMs);
    return true;
  }

  private refute(accusedIncarnation: Incarnation): void {
    this.refutations++;
    this.selfIncarnation = accusedIncarnation + 1;
    this.selfSignature = this.statements.signAlive(this.selfIncarnation, this.selfRecord);
    this.queue.enqueue(this.directory.intern(this.selfId), this.selfAlive());
  }

  /** Someone still accuses an incarnation we already refuted: they missed the refutation, so spread it again. */
  private reannounce(): void {
    this.queue.enqueue(this.directory.intern(this.selfId), this.selfAlive());
  }

  private armSuspicion(id: MemberId, suspicion: Suspicion, nowMs: number): void {
    const score = this.lag.suspicionScore(this.directory.lookup(id), nowMs);
    this.armSuspicionTimer(id, suspicion, nowMs, Math.max(0, suspicion.deadlineMs(score) - nowMs));
  }

  private armSuspicionTimer(id: MemberId, suspicion: Suspicion, nowMs: number, afterMs: number): void {
    suspicion.timerDueAtMs = nowMs + afterMs;
    this.out.push({ type: 'timer', timer: { kind: 'suspicion', id, incarnation: suspicion.incarnation }, afterMs });
  }

  /** memberlist inserts newcomers at a random place, so they are probed within one round. */
  private addToProbeList(index: number): void {
    const at = this.random.int(this.probeList.length + 1);
    this.probeList.push(this.probeList[at] ?? index);
    this.probeList[at] = index;
  }

  private emit(change: MemberChange, id: MemberId, incarnation: Incarnation, atMs: number): void {
    this.out.push({ type: 'event', event: { change, id, incarnation, atMs } });
  }
}

function sameRecord(a: MemberRecord, b: MemberRecord): boolean {
  if (a === b) return true;
  return (
    a.version === b.version &&
    a.capacity.cpuMillis === b.capacity.cpuMillis &&
    a.capacity.memoryBytes === b.capacity.memoryBytes &&
    a.addrs.join('\n') === b.addrs.join('\n') &&
    JSON.stringify(a.labels) === JSON.stringify(b.labels)
  );
}

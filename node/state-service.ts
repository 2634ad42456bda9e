import type { Logger } from 'pino';
import { decodeDelta, defaultReplicaOptions, encodeDelta, Replica, type Accepted, type Delta, type DeltaDecodeError, type Genesis, type Rejection } from '../crdt/index.js';
import { NODE_WRITES } from '../protocol/node-writes.js';
import { AuthorQuota, defaultQuota, type QuotaConfig } from '../protocol/quota/author-quota.js';
import type { Clock } from '../base/clock.js';
import type { Result } from '../base/result.js';
import { nativeVerifier } from './native-verifier.js';
import { StateStore } from './state-store.js';
import { hostClock } from './wall-clock.js';

export type Verdict = 'accept' | 'ignore' | 'reject';

/**
 * Refusals an honest forwarder can cause: it saw the delta before us, or before a
 * change we saw first (an admission not yet here, a revocation it had not seen), or
 * its clock differs from ours. Only these are ignored; the rest cost the sender score.
 */
const IGNORED: ReadonlySet<Refusal['code']> = new Set(['duplicate', 'clock-ahead', 'too-old', 'unknown-author', 'revoked', 'demoted', 'over-quota']);

/** Refusals that a delta merged before this one can lift: its author admitted, granted a role, or revoked or demoted by an admin since outranked. */
const WAITS_ON_AUTHORITY: ReadonlySet<Refusal['code']> = new Set(['unknown-author', 'not-allowed', 'revoked', 'demoted']);

/** A key wrote past its quota on this node (see protocol/quota/author-quota.ts). */
export interface OverQuota {
  code: 'over-quota';
  detail: string;
  retryAfterMs: number;
}

export type Refusal = Rejection | DeltaDecodeError | OverQuota;

export interface StateCounters {
  accepted: number;
  rejected: Record<string, number>;
  equivocations: number;
}

/**
 * The node's replica of desired state, kept on disk: every delta is checked, then
 * stored with a synced write, then merged, and only then acknowledged or forwarded.
 */
export class StateService {
  readonly counters: StateCounters = { accepted: 0, rejected: {}, equivocations: 0 };
  private publish: ((bytes: Uint8Array) => Promise<void>) | undefined;
  private readonly quota: AuthorQuota;
  private readonly listeners: ((changed: string[]) => void)[] = [];

  private constructor(
    readonly replica: Replica,
    private readonly store: StateStore,
    private readonly log: Logger,
    quota: QuotaConfig,
    readonly clock: Clock,
  ) {
    this.quota = new AuthorQuota(quota);
  }

  /**
   * Loads the document from disk before the node talks to anyone. `clock` is the node's
   * wall clock (node/wall-clock.ts): what a delta's time is checked against, and what
   * the node's writes and the API stamp their hybrid logical clocks from.
   */
  static async open(path: string, genesis: Genesis, log: Logger, quota: QuotaConfig = defaultQuota(), clock: Clock = hostClock): Promise<StateService> {
    const store = await StateStore.open(path);
    const replica = new Replica(genesis, { ...defaultReplicaOptions(), verifier: nativeVerifier(), nodeWrites: NODE_WRITES });
    const deltas: Delta[] = [];
    for await (const delta of store.deltas()) deltas.push(delta);
    replica.load(deltas);
    log.info({ deltas: replica.size, objects: replica.document.keys().length }, 'desired state loaded');
    return new StateService(replica, store, log, quota, clock);
  }

  /** Synced writes to disk so far; deltas stored together share one. */
  get syncs(): number {
    return this.store.syncs;
  }

  get ready(): boolean {
    return this.store.unavailable === undefined;
  }

  get unavailable(): string | undefined {
    return this.store.unavailable;
  }

  /** Where accepted local writes are broadcast (the gossipsub topic). */
  onPublish(publish: (bytes: Uint8Array) => Promise<void>): void {
    this.publish = publish;
  }

  /** Called after every merge that changed the document, with the changed keys. */
  onChange(listener: (changed: string[]) => void): void {
    this.listeners.push(listener);
  }

  /**
   * A write from a client of this node's API, or the node's own: checked with the same
   * schema as a peer's (a write peers would refuse must fail here, not diverge), then
   * stored, merged and gossiped.
   */
  async submit(delta: Delta, origin: 'client' | 'self' = 'client'): Promise<Result<Accepted, Refusal>> {
    const bytes = encodeDelta(delta);
    const wellFormed = decodeDelta(bytes);
    if (!wellFormed.ok) {
      this.count(wellFormed.error.code);
      return wellFormed;
    }
    const result = await this.ingest(delta, origin, bytes.length);
    if (result.ok) await this.publish?.(bytes).catch((e: unknown) => this.log.warn({ error: String(e) }, 'publish failed; anti-entropy will spread the delta'));
    return result;
  }

  /** A delta from gossip: the verdict feeds gossipsub's validator and peer scoring. */
  async fromGossip(bytes: Uint8Array): Promise<Verdict> {
    const decoded = decodeDelta(bytes);
    if (!decoded.ok) {
      this.count(decoded.error.code);
      return 'reject';
    }
    const result = await this.ingest(decoded.value, 'gossip', bytes.length).catch(() => undefined);
    if (result === undefined) return 'ignore';
    if (result.ok) return 'accept';
    return IGNORED.has(result.error.code) ? 'ignore' : 'reject';
  }

  /**
   * Deltas from anti-entropy, in stamp order: the peer held them, so a refusal only
   * counts. Returns how many were merged. No quota: a peer offers only deltas it
   * accepted, each of which passed one where it came in, and a node catching up after a
   * restart takes everything at once. Each is checked in turn, and all are stored with
   * one synced write (the store's group commit) and merged in order: one at a time, a
   * sync each, a healed partition's few hundred deltas took 5-10 s to merge. A delta
   * whose author only an earlier one of the lot makes known (an admission, a grant) is
   * checked again once those are merged.
   */
  async fromPeers(deltas: readonly Delta[]): Promise<number> {
    let merged = 0;
    const merging: Promise<void>[] = [];
    const settle = async (): Promise<void> => {
      await Promise.all(merging);
      merging.length = 0;
    };
    for (const delta of deltas) {
      let admitted = this.admit(delta, 'peer', 0, this.clock.nowMs());
      if (!admitted.ok && WAITS_ON_AUTHORITY.has(admitted.error.code) && merging.length > 0) {
        await settle();
        admitted = this.admit(delta, 'peer', 0, this.clock.nowMs());
      }
      if (!admitted.ok) this.refused(admitted.error);
      else
        merging.push(
          this.storeAndMerge(delta).then(
            () => void merged++,
            // The store failed (a full disk): the peer still holds the delta, and a later exchange brings it again.
            () => undefined,
          ),
        );
    }
    await settle();
    return merged;
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  /**
   * Checks, then stores and merges. A client's write must also count now; the node's own
   * writes are stored even when they do not count yet (a status for a workload just
   * deleted, a decision whose epoch waits for another), since refusing them would make
   * the agent and scheduler write them again on every pass. Clients and gossip are
   * metered by the quota (`bytes` is the delta's encoded size); a peer's repair may be
   * older than the horizon (Replica.check).
   */
  private async ingest(delta: Delta, source: 'client' | 'self' | 'gossip', bytes: number): Promise<Result<Accepted, Refusal>> {
    const admitted = this.admit(delta, source, bytes, this.clock.nowMs());
    if (!admitted.ok) return this.refused(admitted.error);
    return { ok: true, value: await this.storeAndMerge(delta) };
  }

  /** The checks of `ingest`, before anything is stored; a refusal is not counted yet. */
  private admit(delta: Delta, source: 'client' | 'self' | 'gossip' | 'peer', bytes: number, now: number): Result<void, Refusal> {
    const checked = this.replica.check(delta, now, source === 'peer' ? 'held' : 'new');
    if (!checked.ok) return checked;
    if (source === 'client' && !this.replica.authorizes(delta)) {
      return this.replica.revokedOut(delta)
        ? { ok: false, error: { code: 'revoked', detail: `${delta.body.author} was revoked` } }
        : { ok: false, error: { code: 'not-an-operator', detail: `${delta.body.author} may not write this now` } };
    }
    const metered = source === 'client' || source === 'gossip';
    const quota = metered ? this.quota.take(delta.body.author, bytes, now) : ({ ok: true } as const);
    if (!quota.ok) {
      return { ok: false, error: { code: 'over-quota', detail: `${delta.body.author} wrote past its quota; retry in ${quota.retryAfterMs} ms`, retryAfterMs: quota.retryAfterMs } };
    }
    return { ok: true, value: undefined };
  }

  /** Counts a refusal (a duplicate is no fault) and returns it. */
  private refused(error: Refusal): { ok: false; error: Refusal } {
    if (error.code !== 'duplicate') this.count(error.code);
    return { ok: false, error };
  }

  /** Stores a delta that passed `admit` with a synced write, then merges it and tells the listeners. */
  private async storeAndMerge(delta: Delta): Promise<Accepted> {
    await this.store.append(delta);
    const accepted = this.replica.commit(delta, this.clock.nowMs());
    this.counters.accepted++;
    if (accepted.changed.length > 0) for (const listener of this.listeners) listener(accepted.changed);
    if (accepted.equivocation !== undefined) {
      this.counters.equivocations++;
      this.log.warn(accepted.equivocation, "one writer of a key signed two different deltas under one sequence number: the key may be in someone else's hands");
    }
    return accepted;
  }

  private count(code: string): void {
    this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1;
  }
}

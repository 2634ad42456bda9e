import type { Logger } from 'pino';
import { decodeDelta, defaultReplicaOptions, encodeDelta, Replica, type Accepted, type Delta, type Genesis, type Rejection } from '../crdt/index.js';
import type { Result } from '../protocol/result.js';
import { nativeVerifier } from './native-verifier.js';
import { StateStore } from './state-store.js';

export type Verdict = 'accept' | 'ignore' | 'reject';

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
  private readonly listeners: ((changed: string[]) => void)[] = [];

  private constructor(
    readonly replica: Replica,
    private readonly store: StateStore,
    private readonly log: Logger,
  ) {}

  /** Loads the document from disk before the node talks to anyone. */
  static async open(path: string, genesis: Genesis, log: Logger): Promise<StateService> {
    const store = await StateStore.open(path);
    const replica = new Replica(genesis, { ...defaultReplicaOptions(), verifier: nativeVerifier() });
    const deltas: Delta[] = [];
    for await (const delta of store.deltas()) deltas.push(delta);
    replica.load(deltas);
    log.info({ deltas: replica.size, objects: replica.document.keys().length }, 'desired state loaded');
    return new StateService(replica, store, log);
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

  /** A write from a client of this node's API: stored, merged, then gossiped. */
  async submit(delta: Delta): Promise<Result<Accepted, Rejection>> {
    if (this.replica.check(delta, Date.now()).ok && !this.replica.authorizes(delta)) {
      this.count('not-an-operator');
      return { ok: false, error: { code: 'not-an-operator', detail: `${delta.body.author} may not write now` } };
    }
    const result = await this.ingest(delta);
    if (result.ok) await this.publish?.(encodeDelta(delta)).catch((e: unknown) => this.log.warn({ error: String(e) }, 'publish failed; anti-entropy will spread the delta'));
    return result;
  }

  /** A delta from gossip: the verdict feeds gossipsub's validator and peer scoring. */
  async fromGossip(bytes: Uint8Array): Promise<Verdict> {
    const decoded = decodeDelta(bytes);
    if (!decoded.ok) {
      this.count(decoded.error.code);
      return 'reject';
    }
    const result = await this.ingest(decoded.value).catch(() => undefined);
    if (result === undefined) return 'ignore';
    if (result.ok) return 'accept';
    return result.error.code === 'duplicate' || result.error.code === 'clock-ahead' || result.error.code === 'too-old' ? 'ignore' : 'reject';
  }

  /** A delta from anti-entropy: the peer held it, so a refusal only counts. True when merged. */
  async fromPeer(delta: Delta): Promise<boolean> {
    const result = await this.ingest(delta).catch(() => undefined);
    return result?.ok === true;
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  private async ingest(delta: Delta): Promise<Result<Accepted, Rejection>> {
    const now = Date.now();
    const checked = this.replica.check(delta, now);
    if (!checked.ok) {
      if (checked.error.code !== 'duplicate') this.count(checked.error.code);
      return checked;
    }
    await this.store.append(delta);
    const accepted = this.replica.commit(delta, now);
    this.counters.accepted++;
    if (accepted.changed.length > 0) for (const listener of this.listeners) listener(accepted.changed);
    if (accepted.equivocation !== undefined) {
      this.counters.equivocations++;
      this.log.warn(accepted.equivocation, 'operator signed two different deltas under one sequence number');
    }
    return { ok: true, value: accepted };
  }

  private count(code: string): void {
    this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1;
  }
}

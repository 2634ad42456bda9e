import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.js';
import type { Op } from '../../crdt/index.js';
import { defaultBackoff, type BackoffConfig } from '../../protocol/agent/backoff.js';
import { reconcile, type AgentAction, type ReplicaStatus } from '../../protocol/agent/reconcile.js';
import { replicaName, type DesiredReplica, type ObservedReplica } from '../../protocol/agent/replica.js';
import { emptyBook, recordStartFailure, type RestartBook } from '../../protocol/agent/restart-book.js';
import type { EventLog } from '../event-log.js';
import type { NodeWriter } from '../node-writer.js';
import type { StateService } from '../state-service.js';
import { bootSlots, desiredReplicas, isMajority, ownStatuses, type PlacedRef, type SlotRef, type WorkloadRollout } from './desired.js';
import { failedRevisions, revisionName } from '../../protocol/rollout/judge.js';
import { statusChanges } from '../../protocol/agent/status-report.js';
import { rolloutKey } from '../../protocol/rollout/revisions.js';
import { rolloutFailureField } from '../../protocol/node-writes.js';
import type { SecretBox } from '../secret-box.js';
import { Prober } from './prober.js';
import { ContentPendingError, StartHeldError, type ContainerRuntime, type ReplicaOwner } from './runtime.js';

export interface AgentOptions {
  runtime: ContainerRuntime;
  owner: ReplicaOwner;
  state: StateService;
  writer: NodeWriter;
  events: EventLog;
  log: Logger;
  /** The slots the scheduler gives this node; undefined until it has joined and planned. */
  scheduled: () => SlotRef[] | undefined;
  /** Every placed slot of the cluster: a rollout is paced by all of a workload's slots. */
  placed: () => PlacedRef[];
  /** Opens the Secrets replicas name. */
  secrets: SecretBox;
  majority: {
    /** This node must not run `majority` replicas now. */
    fenced: () => boolean;
    /** Hands over the runtime ids of the `majority` replicas this node holds, for the fence keeper. */
    guard: (ids: string[]) => void;
  };
  intervalMs?: number;
  backoff?: BackoffConfig;
  /** How long a replica gets to stop after SIGTERM. */
  stopGraceMs?: number;
  /** The node's wall clock (node/wall-clock.ts): restart backoff, rollout judgement, probes, events. By default its state's. */
  clock?: Clock;
}

/**
 * A change to the document starts a pass this long after it, one pass for every change
 * meanwhile: a burst of merges (an apply of many objects, the statuses of a rollout, a
 * repair by anti-entropy) made a pass, with its listing of the runtime, per delta. The
 * scheduler's own changes to what this node runs still start one at once.
 */
export const DOCUMENT_SETTLE_MS = 50;

/**
 * Makes this node's runtime hold what the document asks of it: reconcile (pure) says
 * what to do, the runtime does it, and each replica's status goes back into the
 * document, signed by the node. Until the node has joined, it runs what it ran before,
 * as its own stored statuses say: a restart never waits for the network.
 */
export class Agent {
  private book: RestartBook = emptyBook;
  /** Replicas whose start waits for their image or artifact from a peer, by `replicaName@epoch`: what their status says meanwhile. */
  private readonly waiting = new Map<string, string>();
  /** Status last written per Status object key: only changes are written. */
  private readonly written: Map<string, ReplicaStatus>;
  private timer: NodeJS.Timeout | undefined;
  private settling: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly prober: Prober;
  /** Revisions this node has already marked failed, by `<workload>@<spec version>`. */
  private readonly judged = new Set<string>();
  /** For the metrics: what the agent did, by event kind; its replicas by state after the last pass; pass durations not yet taken. */
  readonly stats = { actions: {} as Record<string, number>, replicasByState: {} as Record<string, number> };
  private passSeconds: number[] = [];
  private readonly clock: Clock;

  constructor(private readonly options: AgentOptions) {
    this.clock = options.clock ?? options.state.clock;
    this.written = ownStatuses(options.state.replica.document, options.owner.node);
    this.prober = new Prober(
      options.runtime,
      {
        unhealthy: (replica, message) => {
          this.event('unhealthy', replica.workload, `slot ${replica.slot}: liveness failed (${message}); stopping it for its restart policy`);
          void options.runtime.stop(replica.id, options.stopGraceMs ?? 10_000).finally(() => this.kick());
        },
        changed: () => this.kick(),
      },
      this.clock,
    );
  }

  start(): void {
    this.prober.start();
    const boot = bootSlots(this.written);
    if (boot.length > 0) this.options.log.info({ replicas: boot.length }, 'starting the replicas this node ran before, from its stored state');
    this.options.state.onChange(() => this.afterDocumentChange());
    this.timer = setInterval(() => this.kick(), this.options.intervalMs ?? 1_000);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.prober.stop();
    clearInterval(this.timer);
    clearTimeout(this.settling);
    await this.running;
  }

  /**
   * Removes this node's `majority` replicas, for a graceful stop: the node leaves, the
   * others re-place them at once, and a slot must not run twice. Call after stop().
   */
  async removeMajorityReplicas(): Promise<void> {
    const { runtime, owner, state } = this.options;
    const majority = (await runtime.list(owner)).filter((o) => isMajority(state.replica.document, o.workload));
    await Promise.all(
      majority.map((o) =>
        runtime
          .remove(o.id, this.options.stopGraceMs ?? 10_000)
          .then(() => this.event('stopped', o.workload, `slot ${o.slot} removed (the node is leaving; a majority slot must not run twice)`)),
      ),
    );
    this.options.majority.guard([]);
  }

  private afterDocumentChange(): void {
    if (this.settling !== undefined || this.stopped) return;
    this.settling = setTimeout(() => {
      this.settling = undefined;
      this.kick();
    }, DOCUMENT_SETTLE_MS);
  }

  /** One pass at a time; a kick during a pass runs one more after it. */
  kick(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    const startedAt = performance.now();
    this.running = this.pass()
      .then(() => {
        if (this.passSeconds.length < 1024) this.passSeconds.push((performance.now() - startedAt) / 1000);
      })
      .catch((e: unknown) => this.options.log.warn({ error: String(e) }, 'agent pass failed; retrying on the next'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pass(): Promise<void> {
    const { state, runtime, owner } = this.options;
    const scheduled = this.options.scheduled();
    const { document } = state.replica;
    // Before its first plan a node runs what it ran before. A majority replica runs only
    // while the node is not fenced: neither its scheduler (which a restart does not reset)
    // nor the lease its fence keeper acts on says it has been out of a majority's sight.
    const fenced = this.options.majority.fenced();
    const slots = (scheduled ?? bootSlots(this.written)).filter((s) => !(fenced && isMajority(document, s.workload)));
    const { replicas: desired, rollouts } = desiredReplicas(document, slots, scheduled === undefined ? [] : this.options.placed(), this.options.secrets);
    const observed = await runtime.list(owner);
    this.options.majority.guard(observed.filter((o) => isMajority(document, o.workload)).map((o) => o.id));
    const backoff = this.options.backoff ?? defaultBackoff;
    const result = reconcile({ desired, observed, book: this.book, nowMs: this.clock.nowMs(), backoff, node: owner.node, ready: this.prober.readyIds() });
    this.book = result.book;
    const byName = new Map(desired.map((d) => [`${replicaName(d)}@${d.epoch}/${d.specVersion}`, d]));
    const wanted = new Set(desired.map(waitingKey));
    for (const key of this.waiting.keys()) if (!wanted.has(key)) this.waiting.delete(key);
    this.prober.track(
      observed.flatMap((o) => {
        const match = byName.get(`${replicaName(o)}@${o.epoch}/${o.specVersion}`);
        return o.state === 'running' && match !== undefined ? [{ observed: o, desired: match }] : [];
      }),
    );
    await this.execute(result.actions, backoff, observed);
    const statuses = result.statuses.map((s) => {
      const waiting = s.state === 'pending' ? this.waiting.get(waitingKey(s)) : undefined;
      return { ...s, ...this.prober.health(s), ...(waiting === undefined ? {} : { message: waiting }) };
    });
    const byState: Record<string, number> = {};
    for (const s of statuses) byState[s.state] = (byState[s.state] ?? 0) + 1;
    this.stats.replicasByState = byState;
    await this.report(statuses, desired);
    await this.judgeRollouts(statuses, rollouts);
  }

  private async execute(actions: readonly AgentAction[], backoff: BackoffConfig, observed: readonly ObservedReplica[]): Promise<void> {
    const removals = actions.filter((a) => a.kind === 'remove');
    const named = (id: string): ObservedReplica | undefined => observed.find((o) => o.id === id);
    await Promise.all(
      removals.map((a) =>
        this.options.runtime
          .remove(a.id, this.options.stopGraceMs ?? 10_000)
          .then(() => this.event('stopped', named(a.id)?.workload ?? a.id, `slot ${named(a.id)?.slot ?? '?'} removed (${a.reason})`)),
      ),
    );
    await Promise.all(
      actions
        .flatMap((a) => (a.kind === 'remove' ? [] : [this.launch(a)]))
        .map((p) =>
          p.catch(({ replica, error }: { replica: DesiredReplica; error: Error }) => {
            if (error instanceof ContentPendingError) return this.await(replica, error.reason);
            this.waiting.delete(waitingKey(replica));
            if (error instanceof StartHeldError)
              return this.event('held', replica.workload, `slot ${replica.slot}: not started, the node is fenced (it lost sight of a majority while it was starting the replica)`);
            this.book = recordStartFailure(this.book, replica, error.message, this.clock.nowMs(), backoff);
            this.event('start-failed', replica.workload, `slot ${replica.slot}: ${error.message}`);
          }),
        ),
    );
  }

  private async launch(action: Exclude<AgentAction, { kind: 'remove' }>): Promise<void> {
    const { replica } = action;
    // The pass judged the fence before it listed the runtime, and a start takes more
    // runtime calls: a node paused in between (docker pause) wakes with its lease run
    // out and its replica removed by its keeper, and must not start it again. So the
    // runtime asks once more, just before the replica runs (issue 20, item 1).
    const majority = isMajority(this.options.state.replica.document, replica.workload);
    const mayRun = (): boolean => !(majority && this.options.majority.fenced());
    try {
      if (replica.spec.unresolved !== undefined) throw new Error(replica.spec.unresolved);
      if (action.kind === 'start') await this.options.runtime.start(replica, this.options.owner, mayRun);
      else await this.options.runtime.restart(action.id, replica, mayRun);
      this.waiting.delete(waitingKey(replica));
      this.event(action.kind === 'start' ? 'started' : 'restarted', replica.workload, `slot ${replica.slot} (epoch ${replica.epoch}, spec ${replica.specVersion})`);
    } catch (error) {
      throw { replica, error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  /** Writes the statuses that changed (protocol/agent/status-report.ts), signed by the node. */
  private async report(statuses: readonly ReplicaStatus[], desired: readonly DesiredReplica[]): Promise<void> {
    const node = this.options.owner.node;
    const changed = [...statusChanges(this.written, statuses, desired)];
    // A status is a few hundred bytes: 200 to a delta stays well inside its 256 KiB bound.
    for (let i = 0; i < changed.length; i += 200) {
      const chunk = changed.slice(i, i + 200);
      const ops: Op[] = chunk.map(([key, status]) => ({ key, set: { [node]: status as never } }));
      if (await this.options.writer.write(ops).catch(() => false)) for (const [key, status] of chunk) this.written.set(key, status);
    }
  }

  /**
   * A replica of a revision being rolled out that cannot start, crash-loops or is not
   * ready in time marks the revision failed in the document; every node then plans the
   * rollback to the last good revision from that mark.
   */
  private async judgeRollouts(statuses: readonly ReplicaStatus[], rollouts: ReadonlyMap<string, WorkloadRollout>): Promise<void> {
    const failed = failedRevisions(statuses, rollouts, this.judged, this.clock.nowMs());
    if (failed.length === 0) return;
    const marked = failed.map((f) => revisionName(f.workload, f.specVersion));
    for (const name of marked) this.judged.add(name);
    for (const f of failed) this.event('rollout-failed', f.workload, `revision ${f.specVersion} failed on slot ${f.slot}: ${f.reason}; rolling back`);
    const ops: Op[] = failed.map((f) => ({
      key: rolloutKey(f.workload),
      set: { [rolloutFailureField(f.specVersion, this.options.owner.node)]: { reason: f.reason, slot: f.slot, atMs: this.clock.nowMs() } },
    }));
    // A mark that could not be written is judged again on the next pass.
    if (!(await this.options.writer.write(ops).catch(() => false))) for (const name of marked) this.judged.delete(name);
  }

  /** How long each pass took since the last call, in seconds. */
  takePassSeconds(): number[] {
    const taken = this.passSeconds;
    this.passSeconds = [];
    return taken;
  }

  /** A start that waits for its image or artifact: no failure, tried again next pass; said once. */
  private await(replica: DesiredReplica, reason: string): void {
    const key = waitingKey(replica);
    if (!this.waiting.has(key)) this.event('content-pending', replica.workload, `slot ${replica.slot}: ${reason}`);
    this.waiting.set(key, reason);
  }

  private event(kind: string, object: string, message: string): void {
    this.stats.actions[kind] = (this.stats.actions[kind] ?? 0) + 1;
    this.options.events.record({ atMs: this.clock.nowMs(), node: this.options.owner.node, kind, object, message });
    this.options.log.info({ object }, `${kind}: ${message}`);
  }
}

const waitingKey = (r: { workload: string; slot: number; epoch: number }): string => `${replicaName(r)}@${r.epoch}`;

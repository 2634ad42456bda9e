import type { Clock } from '../../base/clock.js';
import { initialProbeState, observeProbe, probeDue, type ProbeSpec, type ProbeState } from '../../protocol/agent/probe.js';
import { replicaName, type DesiredReplica, type ObservedReplica } from '../../protocol/agent/replica.js';
import type { ReplicaStatus } from '../../protocol/agent/reconcile.js';
import { runCheck } from './probe-check.js';
import type { ContainerRuntime } from './runtime.js';
import { hostClock } from '../wall-clock.js';

type Role = 'liveness' | 'readiness';

interface Tracked {
  replica: ObservedReplica;
  specs: Partial<Record<Role, ProbeSpec>>;
  states: Partial<Record<Role, ProbeState>>;
  running: Set<Role>;
}

export interface ProberEvents {
  /** Liveness failed: the agent stops the replica and its restart policy takes over. */
  unhealthy(replica: ObservedReplica, message: string): void;
  /** A verdict changed: the status in the document must change too. */
  changed(): void;
}

const TICK_MS = 100;

/**
 * Runs the liveness and readiness probes of the replicas this node runs, each on its own
 * period. A replica's verdicts start afresh whenever it (re)starts.
 */
export class Prober {
  private tracked = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly events: ProberEvents,
    /** The node's wall clock (node/wall-clock.ts). */
    private readonly clock: Clock = hostClock,
  ) {}

  start(): void {
    this.started = true;
    this.keepTicking();
  }

  stop(): void {
    this.started = false;
    this.keepTicking();
  }

  /**
   * Ticks only while a replica here has a probe: most run none, and a tick every 100 ms
   * for nothing woke an idle node ten times a second (docs/benchmarks.md, "Footprint").
   */
  private keepTicking(): void {
    const needed = this.started && [...this.tracked.values()].some((t) => t.specs.liveness !== undefined || t.specs.readiness !== undefined);
    if (needed && this.timer === undefined) this.timer = setInterval(() => this.tick(), TICK_MS);
    else if (!needed && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * The running replicas and their specs, after each agent pass. A replica still in the
   * same run of the same spec keeps its entry object, not a copy, so a probe in flight
   * keeps its result unless its replica really restarted, changed spec or went away: a
   * Docker exec takes 50 ms to over a second, and passes come every second and on every
   * document change (every 300 ms or so during a rollout).
   */
  track(running: readonly { observed: ObservedReplica; desired: DesiredReplica }[]): void {
    const next = new Map<string, Tracked>();
    for (const { observed, desired } of running) {
      const held = this.tracked.get(observed.id);
      if (held !== undefined && held.replica.startedAtMs === observed.startedAtMs && held.replica.specVersion === observed.specVersion) {
        held.replica = observed;
        next.set(observed.id, held);
        continue;
      }
      const specs: Tracked['specs'] = {};
      if (desired.spec.liveness !== undefined) specs.liveness = desired.spec.liveness;
      if (desired.spec.readiness !== undefined) specs.readiness = desired.spec.readiness;
      next.set(observed.id, { replica: observed, specs, states: {}, running: new Set() });
    }
    this.tracked = next;
    this.keepTicking();
  }

  /** Running replicas whose readiness passes (or that have no readiness probe). */
  readyIds(): Set<string> {
    const ready = new Set<string>();
    for (const [id, t] of this.tracked) if (t.specs.readiness === undefined || (t.states.readiness?.passing ?? false)) ready.add(id);
    return ready;
  }

  /**
   * What the status says of a replica's health: ready, each probe's verdict, and, for a
   * replica not ready, why its readiness probe last failed (unless the status already
   * says something), as `kubectl describe` shows it.
   */
  health(status: ReplicaStatus): Pick<ReplicaStatus, 'ready' | 'probes' | 'message'> {
    const tracked = [...this.tracked.values()].find((t) => replicaName(t.replica) === replicaName(status) && t.replica.epoch === status.epoch);
    if (tracked === undefined || status.state !== 'running') return { ready: false };
    const verdict = (role: Role): ProbeState => tracked.states[role] ?? initialProbeState(role);
    const probes: NonNullable<ReplicaStatus['probes']> = {};
    for (const role of ['liveness', 'readiness'] as const) if (tracked.specs[role] !== undefined) probes[role] = verdict(role).passing ? 'passing' : 'failing';
    const ready = tracked.specs.readiness === undefined || verdict('readiness').passing;
    const why = ready ? null : verdict('readiness').lastMessage;
    const message = status.message === undefined && why !== null ? { message: `readiness probe failed: ${why}` } : {};
    return Object.keys(probes).length > 0 ? { ready, probes, ...message } : { ready, ...message };
  }

  private tick(): void {
    const now = this.clock.nowMs();
    for (const tracked of this.tracked.values()) {
      for (const role of ['liveness', 'readiness'] as const) {
        const spec = tracked.specs[role];
        const state = tracked.states[role] ?? initialProbeState(role);
        if (spec === undefined || tracked.running.has(role) || !probeDue(state, spec, tracked.replica.startedAtMs ?? now, now)) continue;
        tracked.running.add(role);
        void runCheck(spec, tracked.replica, this.runtime).then((result) => {
          tracked.running.delete(role);
          // Another entry under this id is another run or spec of the replica: this result is not its.
          if (this.tracked.get(tracked.replica.id) !== tracked) return;
          const next = observeProbe(tracked.states[role] ?? initialProbeState(role), spec, result.ok, result.message, this.clock.nowMs());
          const before = (tracked.states[role] ?? initialProbeState(role)).passing;
          tracked.states[role] = next;
          if (before === next.passing) return;
          this.events.changed();
          if (role === 'liveness' && !next.passing) {
            const why = next.lastMessage ?? 'liveness probe failed';
            this.events.unhealthy(tracked.replica, result.output ? `${why}: ${result.output}` : why);
          }
        });
      }
    }
  }
}

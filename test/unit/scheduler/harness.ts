import { createRandom } from '../../../base/random.js';
import { schedulerConfig } from '../../../protocol/scheduler/config.js';
import { Scheduler, type Answer, type SchedulerEffect } from '../../../protocol/scheduler/scheduler.js';
import { slotKey } from '../../../protocol/auction/slot.js';
import { globalReplicas } from '../../../protocol/scheduler/global-mode.js';
import type { Claim, ClusterView, NodeInfo, SlotStatus, WorkloadInfo } from '../../../protocol/scheduler/view.js';

export const GiB = 1024 ** 3;

export const node = (id: string, extra: Partial<NodeInfo> = {}): NodeInfo => ({
  id,
  state: 'alive',
  labels: {},
  capacity: { cpuMillis: 4000, memoryBytes: 8 * GiB },
  stateChangedAtMs: 0,
  cordoned: false,
  draining: false,
  ...extra,
});

export const workload = (name: string, replicas: number, extra: Partial<WorkloadInfo> = {}): WorkloadInfo => ({
  key: `Workload/default/${name}`,
  replicas,
  demand: { workload: `Workload/default/${name}`, resources: { cpuMillis: 500, memoryBytes: GiB / 4 }, hostPorts: [], constraints: [], maxPerNode: undefined, spreadBy: undefined },
  policy: 'spread',
  partitionPolicy: 'available',
  ...extra,
});

/**
 * Schedulers over one shared, instantly visible document and a lossless network: the
 * protocol's decisions alone, with no timing noise. The simulator adds the noise.
 */
export class SharedCluster {
  readonly schedulers = new Map<string, Scheduler>();
  readonly claims = new Map<string, Claim[]>();
  readonly statuses = new Map<string, SlotStatus[]>();
  nowMs = 1_000;
  messages = 0;
  /** Each node's clock runs this far from true time. */
  readonly skewMs = new Map<string, number>();
  /** Answers a forger sends a collector beside each batch an honest node sends it. */
  forge: ((answers: readonly Answer[]) => { from: string; answers: Answer[] }[]) | undefined;

  constructor(
    public nodes: Map<string, NodeInfo>,
    public workloads: WorkloadInfo[],
    seed = 1,
  ) {
    for (const id of nodes.keys())
      this.schedulers.set(id, new Scheduler(id, schedulerConfig.local(), createRandom(seed + id.length * 7919 + id.charCodeAt(id.length - 1)), this.nowMs));
  }

  view(): ClusterView {
    // As clusterView does: a global workload's count comes from the members.
    const workloads = this.workloads.map((w) => (w.global === true ? { ...w, replicas: globalReplicas(w.demand, this.nodes) } : w));
    return { nodes: this.nodes, workloads, claims: this.claims, statuses: this.statuses };
  }

  run(steps: number, stepMs = 50): void {
    for (let i = 0; i < steps; i++) {
      this.nowMs += stepMs;
      for (const [id, scheduler] of this.schedulers) {
        if (this.nodes.get(id)?.state !== 'alive') continue;
        this.apply(scheduler.tick(this.view(), this.nowMs + (this.skewMs.get(id) ?? 0)));
      }
    }
  }

  placements(): Map<string, string> {
    const out = new Map<string, string>();
    const any = [...this.schedulers.values()].find((s) => this.nodes.get(s.self)?.state === 'alive') as Scheduler;
    any.tick(this.view(), this.nowMs);
    for (const slot of any.currentPlan?.placed ?? []) out.set(slotKey({ workload: slot.workload.key, index: slot.index }), slot.assignment.node);
    return out;
  }

  private apply(effects: SchedulerEffect[]): void {
    for (const effect of effects) {
      if (effect.type === 'send') {
        this.messages++;
        const target = this.schedulers.get(effect.to);
        if (target === undefined || this.nodes.get(effect.to)?.state !== 'alive') continue;
        for (const forged of this.forge?.(effect.answers) ?? []) this.apply(target.receive(forged.from, forged.answers, this.nowMs));
        this.apply(target.receive(effect.answers[0]?.node ?? '', effect.answers, this.nowMs));
      } else if (effect.type === 'claim') {
        const key = slotKey({ workload: effect.workload, index: effect.index });
        this.claims.set(key, [...(this.claims.get(key) ?? []), effect.claim]);
      }
    }
  }
}

import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.js';
import type { ObjectValue } from '../../crdt/document.js';
import { AUTOSCALE_DECISION_FIELD, autoscaleKeyOf } from '../../protocol/node-writes.js';
import { Autoscaler, type AutoscaledWorkload, type AutoscalerStatus, type AutoscaleWrite } from '../../protocol/autoscale/autoscaler.js';
import { autoscalePolicyOf } from '../../protocol/autoscale/policy.js';
import { readingsOf, type SlotPlacement } from '../../protocol/autoscale/readings.js';
import { autoscaledCount } from '../../protocol/autoscale/replicas.js';
import { workloadInfo } from '../../protocol/scheduler/from-document.js';
import type { EventLog } from '../event-log.js';
import type { NodeWriter } from '../node-writer.js';
import type { StateService } from '../state-service.js';
import type { SwimService } from '../swim/service.js';
import type { UsageService } from '../usage/usage-service.js';

export interface AutoscaleServiceOptions {
  state: Pick<StateService, 'replica'>;
  swim: Pick<SwimService, 'id' | 'members'>;
  usage: Pick<UsageService, 'workload'>;
  writer: Pick<NodeWriter, 'write'>;
  events: EventLog;
  log: Logger;
  /** The slots placed now, as the scheduler's plan says: only their nodes' readings, at their epochs, count. */
  placed: () => readonly { workload: string; index: number; node: string; epoch: number }[];
  /** Whether this node has joined its cluster: a node that has not decides nothing on a document it has not caught up with. */
  hasJoined: () => boolean;
  intervalMs: number;
  /** The node's wall clock (node/wall-clock.ts): each round's time, which the usage it reads is stamped on. */
  clock: Clock;
}

const describe = (w: AutoscaleWrite): string => {
  const { replicas, metric, value, target } = w.decision;
  const unit = metric === 'cpu' || metric === 'memory' ? `% of its request` : '';
  return `scaled from ${w.from} to ${replicas} replicas: ${metric} at ${value}${unit}, target ${target}${unit}`;
};

/**
 * The node's part in autoscaling: each round it hands the autoscaler what the document
 * and the shared usage say, and writes, signed by the node, the decisions it is the
 * decider for. Every node runs the rounds, so each keeps the windows' history.
 */
export class AutoscaleService {
  /** Decisions this node wrote. */
  readonly counters = { decisions: 0 };
  private readonly autoscaler = new Autoscaler();
  private timer: NodeJS.Timeout | undefined;
  private last: AutoscalerStatus[] = [];

  constructor(private readonly options: AutoscaleServiceOptions) {}

  start(): void {
    this.timer = setInterval(() => this.round(), this.options.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The latest round's view of every autoscaled workload. */
  statuses(): AutoscalerStatus[] {
    return this.last;
  }

  round(nowMs = this.options.clock.nowMs()): void {
    const { state, swim, usage } = this.options;
    const document = state.replica.document;
    const workloads: AutoscaledWorkload[] = [];
    const placed = new Map<string, Map<number, SlotPlacement>>();
    for (const p of this.options.placed()) {
      let slots = placed.get(p.workload);
      if (slots === undefined) placed.set(p.workload, (slots = new Map()));
      slots.set(p.index, { node: p.node, epoch: p.epoch });
    }
    for (const key of document.keys('Workload')) {
      const fields = document.get(key) as ObjectValue;
      const policy = autoscalePolicyOf(fields);
      const count = policy === undefined ? undefined : autoscaledCount(document, key, workloadInfo(key, fields).replicas);
      if (policy === undefined || count === undefined) continue;
      const readings = readingsOf(usage.workload(key)?.replicas ?? [], count.replicas, placed.get(key) ?? new Map());
      workloads.push({ key, policy, bounds: count.bounds, current: count.replicas, readings, decision: count.decision });
    }
    const live = swim.members().flatMap((m) => (m.state === 'alive' ? [m.record.id] : []));
    const round = this.autoscaler.round(nowMs, swim.id, [swim.id, ...live], workloads);
    this.last = round.statuses;
    if (!this.options.hasJoined()) return;
    for (const write of round.writes) void this.write(write, nowMs);
  }

  private async write(write: AutoscaleWrite, nowMs: number): Promise<void> {
    const key = autoscaleKeyOf(write.workload) as string;
    const written = await this.options.writer.write([{ key, set: { [AUTOSCALE_DECISION_FIELD]: { ...write.decision } } }]).catch((e: unknown) => {
      this.options.log.warn({ error: String(e), workload: write.workload }, 'could not write an autoscale decision');
      return false;
    });
    if (!written) return;
    this.counters.decisions++;
    const message = describe(write);
    this.options.log.info({ workload: write.workload, from: write.from, to: write.decision.replicas }, message);
    this.options.events.record({ atMs: nowMs, node: this.options.swim.id, kind: 'Autoscaled', object: write.workload, message });
  }
}

import type { SchedulerConfig } from '../../../protocol/scheduler/config.js';
import type { SchedulerEvent } from '../../../protocol/scheduler/scheduler.js';
import type { SwimConfig } from '../../../protocol/swim/index.js';
import type { ClockOptions } from '../node-clock.js';
import type { DocumentOp } from './document.js';
import type { SchedulingFaults } from './faults.js';
import type { NodeSpec } from './node.js';

export interface SchedulingSimulationOptions {
  seed: number;
  nodes: number;
  config?: SchedulerConfig;
  /** Each node ticks this often, at its own phase. */
  tickMs?: number;
  faults?: Partial<SchedulingFaults>;
  /** Run the real SWIM machines for membership, with this config, instead of a detection delay (SwimMembership). */
  swim?: SwimConfig;
  /** Node `i`'s capacity and labels (default: 4 CPUs, 8 GiB, zone z<i mod 3>). */
  node?: (i: number) => NodeSpec;
  /** Skip ticks that provably change nothing (see IdleState); off, every node ticks every `tickMs`. */
  skipIdleTicks?: boolean;
  /**
   * Each node's own clocks (node-clock.ts): its scheduler, agent and SWIM machine read its
   * wall clock, its majority lease and fence keeper its monotonic clock, and its ticks and
   * SWIM timers count on its oscillator. Absent, every node reads the virtual time.
   */
  clocks?: ClockOptions;
  /** The command a failure message tells the reader to rerun. */
  replayCommand?: string;
  /** Workloads whose replicas no node can start (the agent model fails them for good). */
  failsToStart?: (workload: string) => boolean;
  onEvent?: (node: string, event: SchedulerEvent, atMs: number) => void;
  onWrite?: (node: string, ops: readonly DocumentOp[], atMs: number) => void;
}

export interface SchedulingTraffic {
  answerMessages: number;
  answers: number;
  answersLost: number;
  claimWrites: number;
  statusWrites: number;
  ticks: number;
  skippedTicks: number;
}

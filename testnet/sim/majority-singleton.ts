import { schedulerConfig } from '../../protocol/scheduler/config.js';
import type { PartitionPolicy } from '../../protocol/scheduler/view.js';
import { swimConfig } from '../../protocol/swim/index.js';
import type { SchedulingSimulationOptions } from './scheduling/options.js';
import { workloadOf } from './scheduling/workloads.js';
import { SchedulingSimulation } from './scheduling/simulation.js';

export const SINGLETON_SLOT = 'Workload/default/one#0';

/**
 * One replica of `one` placed on a cluster of `nodes` that runs the real SWIM machines
 * with the testnet's presets: the starting point of the fence's tests and its bench.
 */
export function singletonSimulation(
  seed: number,
  nodes: number,
  partitionPolicy: PartitionPolicy,
  replayCommand?: string,
  more: Pick<SchedulingSimulationOptions, 'clocks' | 'skipIdleTicks'> = {},
): SchedulingSimulation {
  const sim = new SchedulingSimulation({ seed, nodes, config: schedulerConfig.local(), swim: swimConfig.local(), replayCommand, ...more });
  sim.apply([workloadOf({ name: 'one', replicas: 1, cpuMillis: 100, memoryBytes: 2 ** 27, partitionPolicy })]);
  sim.run(5_000);
  return sim;
}

import type { SchedulingPolicy } from '../../../protocol/auction/candidate.js';
import type { Random } from '../../../base/random.js';
import type { PartitionPolicy, WorkloadInfo } from '../../../protocol/scheduler/view.js';

const MiB = 1024 ** 2;

export interface WorkloadShape {
  name: string;
  replicas: number;
  cpuMillis: number;
  memoryBytes: number;
  policy?: SchedulingPolicy;
  partitionPolicy?: PartitionPolicy;
  maxPerNode?: number;
  /** `mode: global`: one replica on every member, its count taken from each node's membership view (DocumentReplica.view). */
  global?: boolean;
}

export function workloadOf(shape: WorkloadShape): WorkloadInfo {
  const key = `Workload/default/${shape.name}`;
  return {
    key,
    replicas: shape.replicas,
    global: shape.global,
    demand: {
      workload: key,
      resources: { cpuMillis: shape.cpuMillis, memoryBytes: shape.memoryBytes },
      hostPorts: [],
      constraints: [],
      maxPerNode: shape.global === true ? 1 : shape.maxPerNode,
      spreadBy: undefined,
    },
    policy: shape.policy ?? 'spread',
    partitionPolicy: shape.partitionPolicy ?? 'available',
  };
}

/** Sizes as a cluster of small services shows them: mostly small, some medium, a few large. */
const SIZES: readonly { cpuMillis: number; memoryBytes: number }[] = [
  { cpuMillis: 100, memoryBytes: 128 * MiB },
  { cpuMillis: 100, memoryBytes: 256 * MiB },
  { cpuMillis: 250, memoryBytes: 256 * MiB },
  { cpuMillis: 250, memoryBytes: 512 * MiB },
  { cpuMillis: 500, memoryBytes: 512 * MiB },
  { cpuMillis: 500, memoryBytes: 1024 * MiB },
  { cpuMillis: 1000, memoryBytes: 1024 * MiB },
];

/** `count` workloads of `replicas` each, sizes drawn from the seed. */
export function variedWorkloads(random: Random, count: number, replicas: number, policy: SchedulingPolicy = 'spread'): WorkloadInfo[] {
  const width = String(count - 1).length;
  return Array.from({ length: count }, (_, i) => {
    const size = SIZES[random.int(SIZES.length)] as (typeof SIZES)[number];
    return workloadOf({ name: `w${String(i).padStart(width, '0')}`, replicas, policy, ...size });
  });
}

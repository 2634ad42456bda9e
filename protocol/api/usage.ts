import type { NodeUsage, WorkloadUsage } from '../usage/usage-book.js';

/** What the node asked knows of the cluster's usage (`GET /v1/usage`): the latest summary of every node that published within the TTL. */
export interface UsageJson {
  nodes: NodeUsage[];
  workloads: WorkloadUsage[];
}

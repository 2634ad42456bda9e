import type { FastifyInstance } from 'fastify';
import type { NodeUsage, WorkloadUsage } from '../../protocol/usage/usage-book.js';
import type { UsageService } from '../usage/usage-service.js';

/** What the node asked knows of the cluster's usage: the latest summary of every node that published within the TTL. */
export interface UsageJson {
  nodes: NodeUsage[];
  workloads: WorkloadUsage[];
}

export function registerUsageRoutes(app: FastifyInstance, usage: Pick<UsageService, 'nodes' | 'workloads'>): void {
  app.get('/v1/usage', async (): Promise<UsageJson> => ({ nodes: usage.nodes(), workloads: usage.workloads() }));
}

import type { FastifyInstance } from 'fastify';
import type { UsageJson } from '../../protocol/api/usage.js';
import type { UsageService } from '../usage/usage-service.js';

export function registerUsageRoutes(app: FastifyInstance, usage: Pick<UsageService, 'nodes' | 'workloads'>): void {
  app.get('/v1/usage', async (): Promise<UsageJson> => ({ nodes: usage.nodes(), workloads: usage.workloads() }));
}

import type { FastifyInstance } from 'fastify';
import type { AutoscalersJson } from '../../protocol/api/autoscalers.js';
import type { AutoscaleService } from '../autoscale/autoscale-service.js';

export function registerAutoscalerRoutes(app: FastifyInstance, autoscale: Pick<AutoscaleService, 'statuses'>): void {
  app.get('/v1/autoscalers', async (): Promise<AutoscalersJson> => autoscale.statuses());
}

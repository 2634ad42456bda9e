import type { FastifyInstance } from 'fastify';
import type { AutoscalerStatus } from '../../protocol/autoscale/autoscaler.js';
import type { AutoscaleService } from '../autoscale/autoscale-service.js';

/** Every autoscaled workload as the node asked sees it: its bounds, metrics, the count now and where it is going, who decides. */
export type AutoscalersJson = AutoscalerStatus[];

export function registerAutoscalerRoutes(app: FastifyInstance, autoscale: Pick<AutoscaleService, 'statuses'>): void {
  app.get('/v1/autoscalers', async (): Promise<AutoscalersJson> => autoscale.statuses());
}

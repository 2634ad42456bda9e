import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { AuthCounters } from '../api/auth.js';
import { byLabel, counterFrom } from './families.js';

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Requests by method, route and status code, and their latency. The route is the
 * template a request matched (`/v1/workloads/:namespace/:name`), never its path, so a
 * caller cannot grow the label set; anything that matched none is `unmatched`.
 */
export function instrumentApi(app: FastifyInstance, registry: Registry, auth: AuthCounters): void {
  const requests = new Counter({
    name: 'shoal_api_requests_total',
    help: 'API requests, by method, route and status code.',
    labelNames: ['method', 'route', 'code'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'shoal_api_request_duration_seconds',
    help: 'From a request arriving to its answer sent, by method and route.',
    labelNames: ['method', 'route'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  counterFrom(registry, 'shoal_api_auth_total', 'Requests that needed a signature, by result (accepted, or the reason refused).', ['result'], () => [
    [{ result: 'accepted' }, auth.accepted],
    ...byLabel('result', auth.refused),
  ]);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, code: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}

import type { FastifyInstance } from 'fastify';
import { failedRevisions, revisionsOf } from '../../protocol/rollout/revisions.js';
import { specVersionOf } from '../../protocol/manifests/container.js';
import type { ApiErrorBody } from '../../protocol/api/errors.js';
import type { RolloutJson } from '../../protocol/api/rollout.js';
import { rolloutOf } from '../agent/desired.js';
import type { SchedulerService } from '../scheduler-service.js';
import type { StateService } from '../state-service.js';

export function registerRolloutRoutes(app: FastifyInstance, state: StateService, scheduler: SchedulerService): void {
  app.get<{ Params: { namespace: string; name: string } }>('/v1/workloads/:namespace/:name/rollout', async (request, reply) => {
    const key = `Workload/${request.params.namespace}/${request.params.name}`;
    const document = state.replica.document;
    const fields = document.get(key);
    if (fields === undefined)
      return reply.code(404).send({ error: 'not-found', detail: `workload ${request.params.namespace}/${request.params.name} does not exist` } satisfies ApiErrorBody);
    const placed = (scheduler.plan?.placed ?? []).map((s) => ({ workload: s.workload.key, index: s.index, epoch: s.assignment.epoch, node: s.assignment.node }));
    const { rollout } = rolloutOf(document, key, placed);
    const failed = failedRevisions(document, key);
    const replicas = scheduler.view().workloads.find((w) => w.key === key)?.replicas ?? 0;
    const body: RolloutJson = {
      workload: key,
      current: specVersionOf(fields),
      target: rollout.plan.target,
      rolledBackFrom: rollout.plan.rolledBackFrom ?? null,
      replicas,
      updated: rollout.plan.updated,
      complete: rollout.plan.complete && rollout.plan.slots.size === replicas,
      revisions: revisionsOf(document, key).map((r) => ({ ...r, image: String(r.fields['spec.image'] ?? ''), failed: failed.get(r.version) ?? null })),
    };
    return body;
  });
}

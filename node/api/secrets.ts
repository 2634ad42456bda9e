import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { mayDeployIn, namespaceOf, OBJECT_KEY } from '../../crdt/index.js';
import type { ApiErrorBody } from '../../protocol/api/errors.js';
import { SECRET_KEY, secretField } from '../../protocol/manifests/secret.js';
import type { SecretBox } from '../secret-box.js';
import type { StateService } from '../state-service.js';

const body = z.strictObject({
  object: z
    .string()
    .regex(OBJECT_KEY)
    .refine((k) => k.startsWith('Secret/'), 'not a Secret'),
  values: z.record(z.string().regex(SECRET_KEY), z.string().max(1024 * 1024)),
});

/**
 * Seals a Secret's values for the client to sign, for a deployer of the Secret's
 * namespace (who could read the values anyway, through a workload that mounts them).
 */
export function registerSecretRoutes(app: FastifyInstance, box: SecretBox, state: StateService): void {
  app.post('/v1/secrets/seal', async (request, reply) => {
    const parsed = body.safeParse(request.body);
    if (!parsed.success)
      return reply
        .code(400)
        .send({ error: 'bad-request', detail: `${parsed.error.issues[0]?.path.join('.') ?? 'body'}: ${parsed.error.issues[0]?.message ?? 'invalid'}` } satisfies ApiErrorBody);
    const { object, values } = parsed.data;
    const grant = request.caller?.grant;
    if (grant === undefined || !mayDeployIn(grant, namespaceOf(object))) {
      return reply.code(403).send({ error: 'forbidden', detail: `sealing ${object} needs a deployer of namespace ${namespaceOf(object)}` } satisfies ApiErrorBody);
    }
    const current = state.replica.document.get(object) ?? {};
    const fields = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [secretField(k), box.sealUnlessSame(object, secretField(k), Buffer.from(v, 'base64'), current[secretField(k)])]),
    );
    return { fields };
  });
}

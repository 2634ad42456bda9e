import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { OBJECT_KEY } from '../crdt/index.js';
import { SECRET_KEY, secretField } from '../protocol/spec/secret.js';
import type { SecretBox } from './secret-box.js';

const body = z.strictObject({
  object: z
    .string()
    .regex(OBJECT_KEY)
    .refine((k) => k.startsWith('Secret/'), 'not a Secret'),
  values: z.record(z.string().regex(SECRET_KEY), z.string().max(1024 * 1024)),
});

/** Seals a Secret's values for the client to sign: the API listens on loopback, so plain values stay on this machine. */
export function registerSecretRoutes(app: FastifyInstance, box: SecretBox): void {
  app.post('/v1/secrets/seal', async (request, reply) => {
    const parsed = body.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'bad-request', detail: parsed.error.issues[0]?.message ?? 'invalid' });
    const { object, values } = parsed.data;
    const fields = Object.fromEntries(Object.entries(values).map(([k, v]) => [secretField(k), box.seal(object, secretField(k), Buffer.from(v, 'base64'))]));
    return { fields };
  });
}

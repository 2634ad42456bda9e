import type { Libp2p } from '@libp2p/interface';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PartitionGate } from './partition-gate.js';

const partitionBody = z.object({ peers: z.array(z.string().min(1).max(128)).max(1024) });

/** Only with --enable-fault-injection: split this node from peers, and heal. */
export function registerFaultRoutes(app: FastifyInstance, host: Libp2p, gate: PartitionGate): void {
  app.post('/v1/faults/partition', async (request, reply) => {
    const body = partitionBody.safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: 'invalid', detail: body.error.issues[0]?.message });
    await gate.block(host, body.data.peers);
    return { blocked: gate.list() };
  });
  app.delete('/v1/faults/partition', async () => {
    gate.heal();
    return { blocked: [] };
  });
}

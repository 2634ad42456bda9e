import type { Libp2p } from '@libp2p/interface';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiErrorBody } from '../../protocol/api/errors.js';
import type { PartitionGate } from '../partition-gate.js';
import type { WallClock } from '../wall-clock.js';

const partitionBody = z.object({ peers: z.array(z.string().min(1).max(128)).max(1024) });
// A year either way is more than any test needs, and keeps Date arithmetic far from its limits.
const clockBody = z.object({
  offsetMs: z
    .number()
    .int()
    .min(-365 * 86_400_000)
    .max(365 * 86_400_000),
});

/** Only with --enable-fault-injection: split this node from peers, and heal; skew its clock. */
export function registerFaultRoutes(app: FastifyInstance, host: Libp2p, gate: PartitionGate, clock: WallClock): void {
  app.post('/v1/faults/partition', async (request, reply) => {
    const body = partitionBody.safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: 'invalid', detail: body.error.issues[0]?.message } satisfies ApiErrorBody);
    gate.block(host, body.data.peers);
    return { blocked: gate.list() };
  });
  app.delete('/v1/faults/partition', async () => {
    gate.heal();
    return { blocked: [] };
  });
  // Shifts the node's wall clock by offsetMs (positive: ahead of real time); 0 ends the
  // skew. Replaces any earlier offset rather than adding to it. Date.now itself is left
  // alone: the node reads the clock startNode handed it (node/wall-clock.ts).
  app.post('/v1/faults/clock', async (request, reply) => {
    const body = clockBody.safeParse(request.body);
    if (!body.success) return reply.code(400).send({ error: 'invalid', detail: body.error.issues[0]?.message } satisfies ApiErrorBody);
    clock.setOffset(body.data.offsetMs);
    return { offsetMs: clock.offsetMs };
  });
}

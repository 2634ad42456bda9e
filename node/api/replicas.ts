import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { ok } from '../../base/result.js';
import type { ApiErrorBody } from '../../protocol/api/errors.js';
import type { ExecJson } from '../../protocol/api/replicas.js';
import { mayExecIn } from '../../crdt/index.js';
import { execOf, logsOf } from '../../protocol/replica-requests.js';
import { signedMessageOf } from './auth.js';
import { UserError } from '../errors.js';
import type { ReplicaAccess } from '../replica-access.js';
import { StreamQuota } from '../stream-quota.js';

const badRequest = (detail: string): ApiErrorBody => ({ error: 'bad-request', detail });

/** Followed logs a node serves at once: a replica stream each (64 a connection to a peer), or an engine connection. */
const FOLLOWS = 48;
const FOLLOWS_PER_OPERATOR = 8;

/** A replica's logs and exec, from whichever node runs it. */
export function registerReplicaRoutes(app: FastifyInstance, access: ReplicaAccess): StreamQuota {
  const follows = new StreamQuota(FOLLOWS_PER_OPERATOR, FOLLOWS);
  // Each reads what it asks for from the request as signed, as the node that runs the replica will.
  app.get('/v1/workloads/:namespace/:name/logs', async (request, reply) => {
    const signed = signedMessageOf(request);
    const logs = logsOf(signed);
    if (!logs.ok) return reply.code(400).send(badRequest(logs.error));
    const held = logs.value.follow ? follows.acquire(request.caller?.publicKey ?? '') : ok(() => {});
    if (!held.ok)
      return reply.code(429).send({ error: 'busy', detail: `at most ${FOLLOWS_PER_OPERATOR} followed logs an operator and ${FOLLOWS} in all on this node` } satisfies ApiErrorBody);
    const release = held.value;
    const abort = new AbortController();
    request.raw.on('close', () => {
      abort.abort();
      release();
    });
    try {
      const chunks = access.logs(signed, abort.signal);
      const iterator = chunks[Symbol.asyncIterator]();
      // The first chunk (or the error) decides the status: a slot that runs nowhere is a 404, not an empty 200.
      const first = await iterator.next();
      async function* rest(): AsyncIterable<Uint8Array> {
        if (!first.done) yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      }
      return reply.type('text/plain; charset=utf-8').send(Readable.from(rest()));
    } catch (e) {
      if (e instanceof UserError) return reply.code(404).send({ error: 'not-found', detail: e.message } satisfies ApiErrorBody);
      throw e;
    }
  });

  app.post<{ Params: { namespace: string; name: string } }>('/v1/workloads/:namespace/:name/exec', async (request, reply) => {
    // The exec grant itself was checked at the gate; a deployer's stays in its namespaces.
    const grant = request.caller?.grant;
    if (grant !== undefined && !mayExecIn(grant, request.params.namespace)) {
      return reply.code(403).send({ error: 'forbidden', detail: `exec in namespace ${request.params.namespace} is not granted to this operator` } satisfies ApiErrorBody);
    }
    const signed = signedMessageOf(request);
    const exec = execOf(signed);
    if (!exec.ok) return reply.code(400).send(badRequest(exec.error));
    try {
      // The node that runs the replica judges the operator's request again, as signed.
      return (await access.exec(signed)) satisfies ExecJson;
    } catch (e) {
      if (e instanceof UserError) return reply.code(404).send({ error: 'not-found', detail: e.message } satisfies ApiErrorBody);
      return reply.code(502).send({ error: 'exec-failed', detail: (e as Error).message } satisfies ApiErrorBody);
    }
  });
  return follows;
}

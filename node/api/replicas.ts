import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { ok } from '../../base/result.js';
import type { ApiErrorBody } from '../../protocol/api/errors.js';
import type { ExecJson } from '../../protocol/api/replicas.js';
import { execCommand, execTimeoutMs } from '../../protocol/replica-access-codec.js';
import { UserError } from '../errors.js';
import type { ReplicaAccess } from '../replica-access.js';
import { StreamQuota } from '../stream-quota.js';

interface LogsQuery {
  slot?: string;
  follow?: string;
  tail?: string;
  sinceMs?: string;
}

const integer = (value: string | undefined, field: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`${field} must be a whole number, not '${value}'`);
  return n;
};

/** Followed logs a node serves at once: a replica stream each (64 a connection to a peer), or an engine connection. */
const FOLLOWS = 48;
const FOLLOWS_PER_OPERATOR = 8;

/** The bounds a peer's exec request has (protocol/replica-access-codec.ts), for a local one too. */
const execBody = z.strictObject({ slot: z.number().int().min(0).default(0), command: execCommand, timeoutMs: execTimeoutMs.default(60_000) });

/** A replica's logs and exec, from whichever node runs it. */
export function registerReplicaRoutes(app: FastifyInstance, access: ReplicaAccess): StreamQuota {
  const follows = new StreamQuota(FOLLOWS_PER_OPERATOR, FOLLOWS);
  app.get<{ Params: { namespace: string; name: string }; Querystring: LogsQuery }>('/v1/workloads/:namespace/:name/logs', async (request, reply) => {
    const workload = `Workload/${request.params.namespace}/${request.params.name}`;
    const held = request.query.follow === 'true' ? follows.acquire(request.caller?.publicKey ?? '') : ok(() => {});
    if (!held.ok)
      return reply.code(429).send({ error: 'busy', detail: `at most ${FOLLOWS_PER_OPERATOR} followed logs an operator and ${FOLLOWS} in all on this node` } satisfies ApiErrorBody);
    const release = held.value;
    const abort = new AbortController();
    request.raw.on('close', () => {
      abort.abort();
      release();
    });
    try {
      const q = request.query;
      const options = { follow: q.follow === 'true', tail: integer(q.tail, 'tail'), sinceMs: integer(q.sinceMs, 'sinceMs') };
      const chunks = access.logs(workload, integer(q.slot, 'slot') ?? 0, options, abort.signal);
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

  app.post<{ Params: { namespace: string; name: string }; Body: unknown }>('/v1/workloads/:namespace/:name/exec', async (request, reply) => {
    // The exec grant itself was checked at the gate; a deployer's stays in its namespaces.
    const namespaces = request.caller?.grant.namespaces;
    if (namespaces !== undefined && !namespaces.includes(request.params.namespace)) {
      return reply.code(403).send({ error: 'forbidden', detail: `exec in namespace ${request.params.namespace} is not granted to this operator` } satisfies ApiErrorBody);
    }
    const body = execBody.safeParse(request.body ?? {});
    if (!body.success) {
      const issue = body.error.issues[0];
      return reply.code(400).send({ error: 'bad-request', detail: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` } satisfies ApiErrorBody);
    }
    const { slot, command, timeoutMs } = body.data;
    try {
      return (await access.exec(`Workload/${request.params.namespace}/${request.params.name}`, slot, command, timeoutMs)) satisfies ExecJson;
    } catch (e) {
      if (e instanceof UserError) return reply.code(404).send({ error: 'not-found', detail: e.message } satisfies ApiErrorBody);
      return reply.code(502).send({ error: 'exec-failed', detail: (e as Error).message } satisfies ApiErrorBody);
    }
  });
  return follows;
}

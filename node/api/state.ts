import type { FastifyInstance } from 'fastify';
import { describeGrant, grantAllowsWrite, isAuthorityKey, parseDelta } from '../../crdt/index.js';
import type { ApiErrorBody } from '../../protocol/api/errors.js';
import type { ObjectJson } from '../../protocol/api/objects.js';
import type { OperatorJson } from '../../protocol/api/operators.js';
import type { StateService } from '../state-service.js';
import { StorageUnavailableError } from '../state-store.js';

/** A delta refused: the body names the delta too. */
type DeltaRefusal = ApiErrorBody & { id: string };

export function objectJson(state: StateService, key: string): ObjectJson | undefined {
  const fields = state.replica.document.get(key);
  if (fields === undefined) return undefined;
  const [kind, namespace, name] = key.split('/') as [string, string, string];
  const last = state.replica.document.lastWrite(key);
  return { key, kind, namespace, name, fields, lastWrite: last ? { wallMs: last.hlc.wallMs, author: last.author } : null };
}

/** Desired-state routes: signed deltas in, objects out. Writes are signed by the client; the node only checks. */
export function registerStateRoutes(app: FastifyInstance, state: StateService): void {
  app.post('/v1/deltas', async (request, reply) => {
    const parsed = parseDelta(request.body);
    if (!parsed.ok) return reply.code(400).send({ error: parsed.error.code, detail: parsed.error.detail } satisfies ApiErrorBody);
    // The API's check; every node checks the role again when it merges (crdt/authority.ts).
    const caller = request.caller;
    const { author, ops } = parsed.value.body;
    if (caller === undefined || author !== caller.publicKey) {
      return reply.code(403).send({
        id: parsed.value.id,
        error: 'forbidden',
        detail: 'a delta is submitted by its own author: sign the request with the key that signed the delta',
      } satisfies DeltaRefusal);
    }
    const refused = ops.find((op) => !grantAllowsWrite(caller.grant, op.key, isAuthorityKey(op.key)));
    if (refused !== undefined) {
      return reply.code(403).send({
        id: parsed.value.id,
        error: 'forbidden',
        detail: `operator ${author.slice(0, 16)}… is ${describeGrant(caller.grant)}: it may not write ${refused.key}`,
      } satisfies DeltaRefusal);
    }
    try {
      const result = await state.submit(parsed.value);
      if (!result.ok) {
        if (result.error.code === 'over-quota') reply.header('retry-after', Math.ceil(result.error.retryAfterMs / 1000));
        const code = result.error.code === 'duplicate' ? 200 : result.error.code === 'over-quota' ? 429 : 422;
        return reply.code(code).send({ id: parsed.value.id, error: result.error.code, detail: result.error.detail } satisfies DeltaRefusal);
      }
      return reply.code(201).send({ id: parsed.value.id, changed: result.value.changed, equivocation: result.value.equivocation ?? null });
    } catch (e) {
      if (e instanceof StorageUnavailableError) return reply.code(503).send({ error: 'storage-unavailable', detail: e.message } satisfies ApiErrorBody);
      throw e;
    }
  });

  app.get<{ Querystring: { kind?: string } }>('/v1/objects', async (request) => state.replica.document.keys(request.query.kind).flatMap((key) => objectJson(state, key) ?? []));

  app.get<{ Params: { kind: string; namespace: string; name: string } }>('/v1/objects/:kind/:namespace/:name', async (request, reply) => {
    const { kind, namespace, name } = request.params;
    const object = objectJson(state, `${kind}/${namespace}/${name}`);
    return object ?? reply.code(404).send({ error: 'not-found', detail: `${kind} ${namespace}/${name} does not exist` } satisfies ApiErrorBody);
  });

  app.get<{ Params: { author: string } }>('/v1/authors/:author', async (request) => ({
    nextSeq: state.replica.nextSeq(request.params.author),
    heads: state.replica.heads(request.params.author),
    hlc: state.replica.stampNow(state.clock.nowMs()),
  }));

  app.get(
    '/v1/operators',
    async (): Promise<OperatorJson[]> =>
      state.replica.activeOperators(state.clock.nowMs()).flatMap((publicKey) => {
        const grant = state.replica.operatorGrant(publicKey);
        return grant === undefined ? [] : [{ publicKey, ...grant, namespaces: grant.namespaces === undefined ? null : [...grant.namespaces] }];
      }),
  );

  app.get('/v1/ready', async (_request, reply) => (state.ready ? { ready: true } : reply.code(503).send({ ready: false, reason: state.unavailable })));
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeGrant, type OperatorGrant } from '../../crdt/index.js';
import type { ApiErrorBody } from '../../protocol/api/errors.js';
import type { SignedMessage } from '../../protocol/replica-requests.js';
import type { StateService } from '../state-service.js';
import { sessionOf } from '../ui/session-cookie.js';
import type { UiSessions } from '../ui/sessions.js';
import { isSigned, Refusal, UNSIGNED, type Caller, type SignedRequests } from './signed-requests.js';

/**
 * What a route needs: `open` none; `scrape` a request from this machine (loopback) or
 * the metrics bearer token, as Prometheus sends it; `session` a dashboard session of an
 * operator still in the cluster (node/ui/sessions.ts); the rest a signed request from an
 * operator whose role allows it.
 */
export type Permission = 'open' | 'scrape' | 'session' | 'read' | 'exec' | 'deploy' | 'admin';

/**
 * Every route and what it needs; a route not listed needs an admin, so a new route is
 * closed until someone decides. Namespaced checks (a deployer's namespaces, exec's) are
 * the handlers', with `mayDeployIn` (crdt/roles.ts).
 */
const ROUTES: Readonly<Record<string, Permission>> = {
  'GET /v1/ready': 'open',
  'GET /metrics': 'scrape',
  'GET /v1/nodes': 'read',
  'GET /v1/status': 'read',
  'GET /v1/placements': 'read',
  'GET /v1/events': 'read',
  'GET /v1/jobs': 'read',
  'GET /v1/objects': 'read',
  'GET /v1/objects/:kind/:namespace/:name': 'read',
  'GET /v1/authors/:author': 'read',
  'GET /v1/operators': 'read',
  'GET /v1/cluster/events': 'read',
  'GET /v1/workloads/:namespace/:name': 'read',
  'GET /v1/services': 'read',
  'GET /v1/services/:namespace/:name': 'read',
  'GET /v1/usage': 'read',
  'GET /v1/autoscalers': 'read',
  'GET /v1/images': 'read',
  'POST /v1/images/push': 'deploy',
  // Chunked uploads (node/api/uploads.ts): each upload is its operator's own, checked by the handlers.
  'POST /v1/uploads': 'deploy',
  'POST /v1/uploads/:upload/chunks': 'deploy',
  'POST /v1/uploads/:upload/finish': 'deploy',
  'POST /v1/ui/login': 'read',
  'GET /ui': 'open',
  'GET /ui/': 'open',
  'GET /ui/:file': 'open',
  'POST /ui/session': 'open',
  'DELETE /ui/session': 'session',
  'GET /ui/stream': 'session',
  'GET /v1/workloads/:namespace/:name/rollout': 'read',
  'GET /v1/workloads/:namespace/:name/logs': 'read',
  'POST /v1/workloads/:namespace/:name/exec': 'exec',
  'POST /v1/deltas': 'deploy',
  'POST /v1/secrets/seal': 'deploy',
};

export type { Caller } from './signed-requests.js';
export { SIGNATURE_WINDOW_MS } from './signed-requests.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body as it came, for its digest. */
    rawBody?: string;
    /** The operator who signed the request (or whose dashboard session it is); set for every route that is not open. */
    caller?: Caller;
    /** The dashboard session a `session` route was reached with. */
    uiSession?: string;
  }
}

export interface AuthCounters {
  accepted: number;
  refused: Record<string, number>;
}

const allows = (grant: OperatorGrant, permission: Permission): boolean =>
  permission === 'read' || (permission === 'exec' && grant.exec) || (permission === 'deploy' && grant.role !== 'viewer') || (permission === 'admin' && grant.role === 'admin');

/**
 * The API's gate: a Host header that names this node by address (a DNS name pointing at
 * it is how a rebinding page would reach it), then, for every route that is not open, a
 * valid signature by an operator within the window, a nonce not seen before, and a role
 * that allows the route. Refusals are 401 (who are you), 403 (not you) or 429 (ledger
 * full), each with a sentence, and counted.
 */
export function registerAuth(
  app: FastifyInstance,
  state: StateService,
  options: { signedRequests: SignedRequests; metricsToken?: string | undefined; sessions?: UiSessions | undefined },
): AuthCounters {
  const counters: AuthCounters = { accepted: 0, refused: {} };
  const { signedRequests } = options;

  // Fastify's own JSON parser (it refuses __proto__ and constructor keys), after keeping the text for its digest.
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    json(request, body as string, done);
  });

  const refuse = (reply: FastifyReply, refusal: Refusal): FastifyReply => {
    counters.refused[refusal.reason] = (counters.refused[refusal.reason] ?? 0) + 1;
    return reply.code(refusal.status).send({ error: refusal.reason, detail: refusal.message } satisfies ApiErrorBody);
  };

  const permissionOf = (request: FastifyRequest): Permission => ROUTES[`${request.method} ${request.routeOptions.url ?? ''}`] ?? 'admin';

  // Before the body is read: a stranger's request costs no parsing.
  app.addHook('onRequest', async (request, reply) => {
    try {
      checkHost(request.headers.host);
      const permission = permissionOf(request);
      if (permission === 'scrape') return checkScraper(request, options.metricsToken);
      if (permission === 'session') {
        const session = sessionOf(request.headers.cookie);
        const publicKey = session === undefined ? undefined : options.sessions?.operatorOf(session);
        const grant = publicKey === undefined ? undefined : state.replica.operatorGrant(publicKey);
        if (session === undefined || publicKey === undefined || grant === undefined) throw NO_SESSION;
        request.caller = { publicKey, grant };
        request.uiSession = session;
        counters.accepted++;
        return;
      }
      if (permission === 'open') return;
      if (!isSigned(request.headers)) throw UNSIGNED;
      precheckSigner(request, signedRequests);
    } catch (e) {
      if (e instanceof Refusal) return refuse(reply, e);
      throw e;
    }
  });

  app.addHook('preValidation', async (request, reply) => {
    try {
      const permission = permissionOf(request);
      if (permission === 'open' || permission === 'scrape' || permission === 'session') return;
      const caller = await signedRequests.authenticate(signedMessageOf(request));
      if (!allows(caller.grant, permission)) {
        throw new Refusal(403, 'forbidden', `operator ${caller.publicKey.slice(0, 16)}… is ${describeGrant(caller.grant)}: ${request.method} ${request.url} needs ${permission}`);
      }
      request.caller = caller;
      counters.accepted++;
    } catch (e) {
      if (e instanceof Refusal) return refuse(reply, e);
      throw e;
    }
  });
  return counters;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/** A scraper on this machine needs nothing; from elsewhere, the token the node was given (`--metrics-token-file`). */
function checkScraper(request: FastifyRequest, token: string | undefined): void {
  if (LOOPBACK.test(request.socket.remoteAddress ?? '')) return;
  const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (token !== undefined && given !== undefined && sameSecret(given, token)) return;
  throw new Refusal(
    401,
    'no-scrape-token',
    token === undefined
      ? '/metrics answers only on loopback unless the node is started with --metrics-token-file'
      : '/metrics needs the bearer token the node was started with (--metrics-token-file)',
  );
}

/** Compares digests, so the time taken says nothing about the token. */
const sameSecret = (a: string, b: string): boolean => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

/** Loopback names and address literals only: a browser page reaches a node by a DNS name of its own making. */
function checkHost(host: string | undefined): void {
  const name = (host ?? '').replace(/:\d+$/, '');
  const isAddress = /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || /^\[[0-9a-fA-F:.]+\]$/.test(name);
  if (name !== 'localhost' && !isAddress) {
    throw new Refusal(403, 'bad-host', `Host '${host ?? ''}' is not an address of this node: use its IP address or localhost`);
  }
}

/**
 * Before the body is read, what the signature's parameters say without checking it: the
 * key is an operator's and the time within the window. A stranger's request, or a stale
 * one, costs no body read, parsing or digest; the signature itself is checked after.
 */
function precheckSigner(request: FastifyRequest, signedRequests: SignedRequests): void {
  const input = String(request.headers['signature-input']);
  const keyid = /;\s*keyid="([0-9a-f]{64})"/.exec(input)?.[1];
  const created = /;\s*created=(\d{1,12})(?:;|$)/.exec(input)?.[1];
  if (keyid === undefined || created === undefined) return;
  signedRequests.checkSigner(keyid, Number(created) * 1000);
}

/** The request as its signature covers it: a node it is forwarded to judges the same. */
export const signedMessageOf = (request: FastifyRequest): SignedMessage => ({
  method: request.method,
  url: `http://${request.headers.host ?? ''}${request.url}`,
  headers: request.headers as Record<string, string | undefined>,
  ...(request.rawBody === undefined ? {} : { body: request.rawBody }),
});

const NO_SESSION = new Refusal(401, 'no-session', 'no dashboard session, or it has ended: run shoal dashboard for a login link');

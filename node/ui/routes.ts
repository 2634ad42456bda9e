import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiErrorBody } from '../../protocol/api/errors.js';
import { packageRoot } from '../package-root.js';
import { dashboardSnapshot, type SnapshotSources } from './snapshot.js';
import { SESSION_TTL_MS, type UiSessions } from './sessions.js';
import { UI_COOKIE } from './session-cookie.js';
import { StreamQuota } from '../stream-quota.js';

/** Dashboards one node streams to at once: each asks every member for its events every round. */
const MAX_STREAMS = 8;
/** Of those, one operator's: one key cannot take every stream. */
const MAX_STREAMS_PER_OPERATOR = 2;
const SNAPSHOT_INTERVAL_MS = 2_000;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** What every dashboard file is sent with: no framing by other pages, no sniffing, no referrer, nothing but its own origin. */
const HARDENING = {
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export interface UiCounters {
  logins: number;
  refusedLogins: number;
  streams: number;
  refusedStreams: number;
}

/**
 * The dashboard: its files (built into dist/ui from ui/), the trade of a one-time login
 * token for a session cookie, and a stream of snapshots. `POST /v1/ui/login` is an API
 * route like any other, signed by an operator (`shoal dashboard` calls it); the stream
 * needs the session (auth.ts, permission `session`).
 */
export function registerUiRoutes(app: FastifyInstance, sessions: UiSessions, sources: SnapshotSources, secure: boolean): UiCounters {
  const counters: UiCounters = { logins: 0, refusedLogins: 0, streams: 0, refusedStreams: 0 };
  const dir = join(packageRoot(), 'dist', 'ui');
  // The files the build made, read once: a name outside this set is a 404, never a path.
  const files = new Map<string, Buffer>(
    existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => extname(f) in TYPES)
          .map((f) => [f, readFileSync(join(dir, f))])
      : [],
  );
  const sendFile = (reply: FastifyReply, name: string): FastifyReply => {
    const body = files.get(name);
    if (body === undefined)
      return reply.code(404).send({ error: 'not-found', detail: existsSync(dir) ? `no file ${name}` : 'the dashboard was not built (npm run build)' } satisfies ApiErrorBody);
    return reply
      .headers(HARDENING)
      .type(TYPES[extname(name)] ?? 'application/octet-stream')
      .send(body);
  };

  app.get('/ui', async (_request, reply) => reply.redirect('/ui/'));
  app.get('/ui/', async (_request, reply) => sendFile(reply, 'index.html'));
  app.get<{ Params: { file: string } }>('/ui/:file', async (request, reply) => sendFile(reply, request.params.file));

  app.post('/v1/ui/login', async (request) => {
    counters.logins++;
    return { token: sessions.issueToken(request.caller?.publicKey ?? ''), expiresInMs: 60_000 };
  });

  app.post<{ Body: { token?: unknown } }>('/ui/session', async (request, reply) => {
    const token = request.body?.token;
    const session = typeof token === 'string' && token.length <= 64 ? sessions.redeem(token) : undefined;
    if (session === undefined) {
      counters.refusedLogins++;
      return reply.code(401).send({ error: 'bad-login', detail: 'this login link has expired or was used: run shoal dashboard again' } satisfies ApiErrorBody);
    }
    const cookie = `${UI_COOKIE}=${session}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}${secure ? '; Secure' : ''}`;
    return reply.code(204).header('set-cookie', cookie).send();
  });

  app.delete('/ui/session', async (request, reply) => {
    if (request.uiSession !== undefined) sessions.end(request.uiSession);
    return reply.code(204).header('set-cookie', `${UI_COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0`).send();
  });

  // One snapshot serves every open dashboard for a round: each asks every member for its events.
  // Its age is a duration only, on the host's clock: the skew fault (node/wall-clock.ts) does not hold it.
  let shared: { atMs: number; snapshot: Promise<string> } | undefined;
  const snapshotText = (): Promise<string> => {
    if (shared === undefined || Date.now() - shared.atMs >= SNAPSHOT_INTERVAL_MS / 2) {
      const snapshot = dashboardSnapshot(sources).then((s) => JSON.stringify(s));
      shared = { atMs: Date.now(), snapshot };
      snapshot.catch(() => {
        if (shared?.snapshot === snapshot) shared = undefined;
      });
    }
    return shared.snapshot;
  };
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });
  const streams = new StreamQuota(MAX_STREAMS_PER_OPERATOR, MAX_STREAMS);
  app.get('/ui/stream', async (request, reply) => {
    const session = request.uiSession as string;
    const held = streams.acquire(sessions.operatorOf(session) ?? '');
    if (!held.ok) {
      counters.refusedStreams++;
      const detail =
        held.error === 'key' ? `this operator already has ${MAX_STREAMS_PER_OPERATOR} dashboards open on this node` : `this node already streams to ${MAX_STREAMS} dashboards`;
      return reply.code(429).send({ error: 'busy', detail } satisfies ApiErrorBody);
    }
    counters.streams++;
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, { ...HARDENING, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    let sending = false;
    const end = (): void => {
      if (!open.delete(end)) return;
      clearInterval(timer);
      held.value();
      response.end();
    };
    const send = async (): Promise<void> => {
      if (sending || response.writableEnded) return;
      // A session ends with its time, a logout, or its operator's removal from the cluster.
      const operator = sessions.operatorOf(session);
      if (operator === undefined || sources.state.replica.operatorGrant(operator) === undefined) return end();
      // A browser that does not read (or a client that only holds the stream) misses
      // rounds: at most one snapshot waits in the node for it, never one every round.
      if (response.writableNeedDrain) return;
      sending = true;
      try {
        response.write(`event: snapshot\ndata: ${await snapshotText()}\n\n`);
      } finally {
        sending = false;
      }
    };
    const timer = setInterval(() => void send().catch(end), SNAPSHOT_INTERVAL_MS);
    open.add(end);
    request.raw.on('close', end);
    void send().catch(end);
  });
  return counters;
}

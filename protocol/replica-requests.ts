import { z } from 'zod';
import { err, ok, type Result } from '../base/result.js';

/**
 * What an operator's signed request to a replica asks for (`shoal logs`, `shoal exec`):
 * read from the request as signed, so the node that runs the replica, given the request
 * by the node the operator asked, takes nothing on that node's word. Holding the cluster
 * key (being an admitted node) is not enough to run a command in, or read the logs of,
 * another node's replica.
 */
export interface SignedMessage {
  method: string;
  /** `http://<authority><path>?<query>`: what the signature covers. */
  url: string;
  headers: Readonly<Record<string, string | undefined>>;
  body?: string;
}

/** An exec's command and time-out, as the API and a peer take them. */
export const execCommand = z.array(z.string().max(4096)).min(1).max(256);
export const execTimeoutMs = z.number().int().min(1).max(3_600_000);

/** The body of an exec request (`POST /v1/workloads/NS/NAME/exec`). */
export const execBody = z.strictObject({ slot: z.number().int().min(0).default(0), command: execCommand, timeoutMs: execTimeoutMs.default(60_000) });

export interface ExecRequest {
  workload: string;
  slot: number;
  command: string[];
  timeoutMs: number;
}

export interface LogsRequest {
  workload: string;
  slot: number;
  follow: boolean;
  tail?: number;
  sinceMs?: number;
}

const WORKLOAD_PATH = /^\/v1\/workloads\/([^/?#]+)\/([^/?#]+)\/(exec|logs)$/;

/** The workload a replica request's path names, and what it asks of it; else why not. */
function target(message: SignedMessage, method: string, action: 'exec' | 'logs'): Result<{ workload: string; query: URLSearchParams }, string> {
  let url: URL;
  try {
    url = new URL(message.url);
  } catch {
    return err('the request has no URL');
  }
  const match = WORKLOAD_PATH.exec(url.pathname);
  if (message.method !== method || match === null || match[3] !== action) return err(`${message.method} ${url.pathname} is no ${action} request`);
  try {
    return ok({ workload: `Workload/${decodeURIComponent(match[1] as string)}/${decodeURIComponent(match[2] as string)}`, query: url.searchParams });
  } catch {
    return err(`${url.pathname} names no workload`);
  }
}

/** The exec a signed request asks for: its workload from the path, the rest from the body. */
export function execOf(message: SignedMessage): Result<ExecRequest, string> {
  const named = target(message, 'POST', 'exec');
  if (!named.ok) return named;
  let json: unknown;
  try {
    json = JSON.parse(message.body ?? '{}');
  } catch {
    return err('body: not JSON');
  }
  const body = execBody.safeParse(json);
  if (!body.success) {
    const issue = body.error.issues[0];
    return err(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return ok({ workload: named.value.workload, ...body.data });
}

/** A whole number as a query gives it, or why not. */
function whole(query: URLSearchParams, field: string): Result<number | undefined, string> {
  const value = query.get(field);
  if (value === null) return ok(undefined);
  const n = Number(value);
  return /^\d{1,15}$/.test(value) && Number.isSafeInteger(n) ? ok(n) : err(`${field} must be a whole number, not '${value.slice(0, 32)}'`);
}

/** The logs a signed request asks for: `GET /v1/workloads/NS/NAME/logs?slot=&follow=&tail=&sinceMs=`. */
export function logsOf(message: SignedMessage): Result<LogsRequest, string> {
  const named = target(message, 'GET', 'logs');
  if (!named.ok) return named;
  const { workload, query } = named.value;
  const slot = whole(query, 'slot');
  const tail = whole(query, 'tail');
  const sinceMs = whole(query, 'sinceMs');
  if (!slot.ok) return slot;
  if (!tail.ok) return tail;
  if (!sinceMs.ok) return sinceMs;
  return ok({
    workload,
    slot: slot.value ?? 0,
    follow: query.get('follow') === 'true',
    ...(tail.value === undefined ? {} : { tail: tail.value }),
    ...(sinceMs.value === undefined ? {} : { sinceMs: sinceMs.value }),
  });
}

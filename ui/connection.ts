// The page's conversation with the node that serves it: trading a login token for a
// session cookie, the snapshot stream, logging out. Same origin only.
import type { DashboardSnapshot } from '../protocol/api/dashboard.js';

const SESSION_URL = '/ui/session';
const STREAM_URL = '/ui/stream';
/** After the server refused the stream for another reason than the session (a 5xx). */
const RETRY_MS = 5_000;

export type LoginResult = { kind: 'ok' } | { kind: 'expired' } | { kind: 'failed'; reason: string };

/** Trades the one-time token for a session cookie (set HttpOnly by the server). */
export async function logIn(token: string): Promise<LoginResult> {
  let response: Response;
  try {
    response = await fetch(SESSION_URL, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
  } catch (error) {
    return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
  if (response.ok) return { kind: 'ok' };
  if (response.status === 401) return { kind: 'expired' };
  return { kind: 'failed', reason: `HTTP ${response.status}` };
}

/** Takes the login token out of the address bar and the history entry. */
export function forgetLoginLink(): void {
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
}

/** Ends the session on the server; the page shows the login message whatever it answers. */
export async function logOut(): Promise<void> {
  try {
    await fetch(SESSION_URL, { method: 'DELETE', credentials: 'same-origin' });
  } catch {
    // The node is unreachable: the cookie stays until it expires, and the page forgets it all the same.
  }
}

/** live: receiving; connecting: before the first answer; reconnecting: lost, trying again. */
export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

export interface StreamHandlers {
  snapshot(snapshot: DashboardSnapshot): void;
  status(status: StreamStatus): void;
  /** The server refused the stream for want of a session: the stream is closed for good. */
  loginNeeded(): void;
}

export interface Stream {
  close(): void;
}

/**
 * Does the server refuse the stream for want of a session? An EventSource does not tell
 * why it failed, so this asks again with fetch, reads the status and hangs up.
 */
async function refusedForSession(): Promise<boolean> {
  const abort = new AbortController();
  try {
    const response = await fetch(STREAM_URL, { credentials: 'same-origin', headers: { accept: 'text/event-stream' }, signal: abort.signal });
    return response.status === 401 || response.status === 403;
  } catch {
    return false;
  } finally {
    abort.abort();
  }
}

/**
 * Opens the snapshot stream. A dropped connection the EventSource reopens by itself
 * (status `reconnecting` meanwhile); one the server refuses is closed for good by the
 * browser: on 401 (or 403) that is the end of the session, on anything else this opens
 * a new one after a pause.
 */
export function openStream(handlers: StreamHandlers): Stream {
  let closed = false;
  let source: EventSource | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const start = (): void => {
    const es = new EventSource(STREAM_URL);
    source = es;
    es.onopen = () => {
      if (!closed) handlers.status('live');
    };
    es.addEventListener('snapshot', (event: MessageEvent<string>) => {
      if (closed) return;
      let snapshot: DashboardSnapshot;
      try {
        snapshot = JSON.parse(event.data) as DashboardSnapshot;
      } catch {
        return;
      }
      handlers.status('live');
      handlers.snapshot(snapshot);
    });
    es.onerror = () => {
      if (closed) return;
      handlers.status('reconnecting');
      if (es.readyState !== EventSource.CLOSED) return;
      es.close();
      void refusedForSession().then((needsLogin) => {
        if (closed) return;
        if (needsLogin) {
          closed = true;
          handlers.loginNeeded();
        } else {
          retry = setTimeout(start, RETRY_MS);
        }
      });
    };
  };

  start();
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      source?.close();
    },
  };
}

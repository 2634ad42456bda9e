import { randomBytes } from 'node:crypto';

/** A login link is for one browser, right now. */
export const LOGIN_TOKEN_TTL_MS = 60_000;
/** A dashboard session lasts a working day; the operator's key is checked again on every request. */
export const SESSION_TTL_MS = 12 * 3_600_000;
const MAX_TOKENS = 64;
const MAX_SESSIONS = 256;
/** Each operator's own bound, under the global one: one operator's logins evict only its own. */
const MAX_PER_OPERATOR = 4;

interface Grant {
  publicKey: string;
  expiresAtMs: number;
}

/**
 * Browser sessions for the dashboard. A browser cannot sign requests with an operator
 * key, so the CLI (which can) asks for a one-time login token and hands it to the
 * browser in a URL fragment, never sent to a server; the page trades it once for a
 * session cookie. Both are bound to the operator who asked, and both are bounded in
 * number and in time: a flood of logins evicts the flooder's oldest (then, past the
 * global bound, the oldest of all), it does not grow memory or end others' sessions.
 */
export class UiSessions {
  private readonly tokens = new Map<string, Grant>();
  private readonly sessions = new Map<string, Grant>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** A login token for the operator `publicKey`, valid once within LOGIN_TOKEN_TTL_MS. */
  issueToken(publicKey: string): string {
    this.prune();
    const token = randomBytes(32).toString('base64url');
    remember(this.tokens, token, { publicKey, expiresAtMs: this.nowMs() + LOGIN_TOKEN_TTL_MS }, MAX_TOKENS);
    return token;
  }

  /** The new session's id for a valid token (which is then spent), or undefined. */
  redeem(token: string): string | undefined {
    const grant = this.tokens.get(token);
    this.tokens.delete(token);
    if (grant === undefined || grant.expiresAtMs <= this.nowMs()) return undefined;
    const session = randomBytes(32).toString('base64url');
    remember(this.sessions, session, { publicKey: grant.publicKey, expiresAtMs: this.nowMs() + SESSION_TTL_MS }, MAX_SESSIONS);
    return session;
  }

  /** The operator a live session belongs to. */
  operatorOf(session: string): string | undefined {
    const grant = this.sessions.get(session);
    if (grant === undefined) return undefined;
    if (grant.expiresAtMs > this.nowMs()) return grant.publicKey;
    this.sessions.delete(session);
    return undefined;
  }

  end(session: string): void {
    this.sessions.delete(session);
  }

  private prune(): void {
    const now = this.nowMs();
    for (const [token, grant] of this.tokens) if (grant.expiresAtMs <= now) this.tokens.delete(token);
  }
}

/** Insertion order is age: past the operator's bound its oldest goes, past the global bound the oldest of all. */
function remember(map: Map<string, Grant>, key: string, grant: Grant, bound: number): void {
  const own = [...map].filter(([, g]) => g.publicKey === grant.publicKey);
  if (own.length >= MAX_PER_OPERATOR) map.delete((own[0] as [string, Grant])[0]);
  if (map.size >= bound) map.delete(map.keys().next().value as string);
  map.set(key, grant);
}

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sessionOf, UI_COOKIE } from '../../../node/ui/session-cookie.js';
import { LOGIN_TOKEN_TTL_MS, SESSION_TTL_MS, UiSessions } from '../../../node/ui/sessions.js';

const clock = () => {
  const c = { now: 1_000_000, nowMs: () => c.now };
  return c;
};

test('a login token buys one session for its operator, once', () => {
  const c = clock();
  const sessions = new UiSessions(c.nowMs);
  const token = sessions.issueToken('alice');
  const session = sessions.redeem(token) as string;
  assert.type(session, 'string');
  assert.is(sessions.operatorOf(session), 'alice');
  assert.is(sessions.redeem(token), undefined, 'a spent token buys nothing');
  assert.is(sessions.redeem('guessed'), undefined);
});

test('a token expires within a minute, a session within its time, and a logout ends it', () => {
  const c = clock();
  const sessions = new UiSessions(c.nowMs);
  const late = sessions.issueToken('alice');
  c.now += LOGIN_TOKEN_TTL_MS;
  assert.is(sessions.redeem(late), undefined);
  const session = sessions.redeem(sessions.issueToken('alice')) as string;
  c.now += SESSION_TTL_MS - 1;
  assert.is(sessions.operatorOf(session), 'alice');
  c.now += 1;
  assert.is(sessions.operatorOf(session), undefined);
  const other = sessions.redeem(sessions.issueToken('bob')) as string;
  sessions.end(other);
  assert.is(sessions.operatorOf(other), undefined);
});

test('a flood of logins evicts the oldest tokens and sessions rather than growing', () => {
  const sessions = new UiSessions(clock().nowMs);
  const first = sessions.issueToken('alice');
  for (let i = 0; i < 64; i++) sessions.issueToken('mallory');
  assert.is(sessions.redeem(first), undefined, 'the oldest token went');
  const kept = sessions.redeem(sessions.issueToken('alice')) as string;
  for (let i = 0; i < 256; i++) sessions.redeem(sessions.issueToken('mallory'));
  assert.is(sessions.operatorOf(kept), undefined, 'the oldest session went');
});

test('the session cookie is read from a Cookie header only in its own shape', () => {
  const id = 'A'.repeat(43);
  assert.is(sessionOf(`theme=dark; ${UI_COOKIE}=${id}`), id);
  assert.is(sessionOf(`${UI_COOKIE}=short`), undefined);
  assert.is(sessionOf(`${UI_COOKIE}=${id}x`), undefined);
  assert.is(sessionOf(undefined), undefined);
});

test.run();

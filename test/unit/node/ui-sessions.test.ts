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

test("a flood of logins evicts the flooder's own oldest tokens and sessions, not others', and does not grow", () => {
  const sessions = new UiSessions(clock().nowMs);
  const first = sessions.issueToken('alice');
  const mallorys = Array.from({ length: 64 }, () => sessions.issueToken('mallory'));
  assert.is(sessions.redeem(mallorys[0] as string), undefined, "mallory's oldest token went");
  const kept = sessions.redeem(first) as string;
  assert.ok(kept !== undefined, "alice's token outlived mallory's flood");
  const flood = Array.from({ length: 256 }, () => sessions.redeem(sessions.issueToken('mallory')) as string);
  assert.is(sessions.operatorOf(kept), 'alice', "alice's session outlived it too");
  assert.equal(
    flood.map((s) => sessions.operatorOf(s)).filter((o) => o !== undefined),
    ['mallory', 'mallory', 'mallory', 'mallory'],
    'mallory keeps its four newest',
  );
  // Past the global bound, the oldest of all goes.
  const many = Array.from({ length: 300 }, (_, i) => sessions.redeem(sessions.issueToken(`op${i}`)) as string);
  assert.is(sessions.operatorOf(kept), undefined);
  assert.is(sessions.operatorOf(many.at(-1) as string), 'op299');
});

test('the session cookie is read from a Cookie header only in its own shape', () => {
  const id = 'A'.repeat(43);
  assert.is(sessionOf(`theme=dark; ${UI_COOKIE}=${id}`), id);
  assert.is(sessionOf(`${UI_COOKIE}=short`), undefined);
  assert.is(sessionOf(`${UI_COOKIE}=${id}x`), undefined);
  assert.is(sessionOf(undefined), undefined);
});

test.run();

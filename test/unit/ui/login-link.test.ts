import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loginTokenFromHash } from '../../../ui/login-link.js';

test("the login link's token is read from the fragment, with or without its #", () => {
  assert.is(loginTokenFromHash('#login=Ab-_0123xyz'), 'Ab-_0123xyz');
  assert.is(loginTokenFromHash('login=Ab-_0123xyz'), 'Ab-_0123xyz');
  assert.is(loginTokenFromHash('#other=1&login=tok'), 'tok');
});

test('a page opened without a token, or with an empty one, has none', () => {
  assert.is(loginTokenFromHash(''), undefined);
  assert.is(loginTokenFromHash('#'), undefined);
  assert.is(loginTokenFromHash('#login='), undefined);
  assert.is(loginTokenFromHash('#logout=1'), undefined);
});

test.run();

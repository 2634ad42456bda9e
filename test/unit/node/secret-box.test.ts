import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SecretBox } from '../../../node/secret-box.js';

const box = new SecretBox(new TextEncoder().encode('cluster key one'), 'c1');

test('a sealed value opens to itself, and sealing is deterministic', () => {
  const sealed = box.seal('Secret/default/db', 'data.password', Buffer.from('hunter2'));
  assert.not.match(sealed, 'hunter2');
  assert.is(box.seal('Secret/default/db', 'data.password', Buffer.from('hunter2')), sealed);
  assert.is(box.open('Secret/default/db', 'data.password', sealed).toString(), 'hunter2');
});

test('a value moved to another place, tampered with, or sealed by another cluster does not open', () => {
  const sealed = box.seal('Secret/default/db', 'data.password', Buffer.from('hunter2'));
  assert.throws(() => box.open('Secret/default/db', 'data.user', sealed));
  assert.throws(() => box.open('Secret/default/db', 'data.password', `${sealed.slice(0, -2)}AA`));
  assert.throws(() => new SecretBox(new TextEncoder().encode('cluster key two'), 'c1').open('Secret/default/db', 'data.password', sealed));
  assert.throws(() => box.open('Secret/default/db', 'data.password', 'plain'), /not sealed/);
});

test.run();

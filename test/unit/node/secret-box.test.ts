import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SecretBox } from '../../../node/secret-box.js';

const box = new SecretBox(new TextEncoder().encode('cluster key one'), 'c1');

test('a sealed value opens to itself, and sealing one value twice gives two texts: a seal confirms no guess', () => {
  const sealed = box.seal('Secret/default/db', 'data.password', Buffer.from('hunter2'));
  assert.not.match(sealed, 'hunter2');
  assert.is.not(box.seal('Secret/default/db', 'data.password', Buffer.from('hunter2')), sealed);
  assert.is(box.open('Secret/default/db', 'data.password', sealed).toString(), 'hunter2');
});

test('sealing a value the current text already holds keeps that text, so an unchanged Secret writes nothing', () => {
  const current = box.seal('Secret/default/db', 'data.password', Buffer.from('hunter2'));
  assert.is(box.sealUnlessSame('Secret/default/db', 'data.password', Buffer.from('hunter2'), current), current);
  const changed = box.sealUnlessSame('Secret/default/db', 'data.password', Buffer.from('hunter3'), current);
  assert.is.not(changed, current);
  assert.is(box.open('Secret/default/db', 'data.password', changed).toString(), 'hunter3');
  assert.is.not(box.sealUnlessSame('Secret/default/db', 'data.user', Buffer.from('hunter2'), current), current, 'a text of another place is not reused');
  assert.ok(box.sealUnlessSame('Secret/default/db', 'data.password', Buffer.from('x'), 'garbage').startsWith('sealed1:'));
});

test('a value moved to another place, tampered with, or sealed by another cluster does not open', () => {
  const sealed = box.seal('Secret/default/db', 'data.password', Buffer.from('hunter2'));
  assert.throws(() => box.open('Secret/default/db', 'data.user', sealed));
  assert.throws(() => box.open('Secret/default/db', 'data.password', `${sealed.slice(0, -2)}AA`));
  assert.throws(() => new SecretBox(new TextEncoder().encode('cluster key two'), 'c1').open('Secret/default/db', 'data.password', sealed));
  assert.throws(() => box.open('Secret/default/db', 'data.password', 'plain'), /not sealed/);
});

test.run();

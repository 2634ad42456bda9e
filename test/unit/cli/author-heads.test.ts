import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pinnable } from '../../../cli/author-heads.js';
import { MAX_PINNED_HEADS } from '../../../crdt/index.js';

const id = (n: number): string => n.toString(16).padStart(64, '0');

test('a revocation or grant pins every head of an honest key', () => {
  assert.equal(pinnable([id(3), id(1)]), { pinned: [id(1), id(3)], left: 0 });
  assert.equal(pinnable([]), { pinned: [], left: 0 });
});

test('a key forked past the bound has the first heads pinned, not none: a list past it would pin nothing anywhere', () => {
  const heads = Array.from({ length: MAX_PINNED_HEADS + 76 }, (_, i) => id(MAX_PINNED_HEADS + 76 - i));
  const { pinned, left } = pinnable(heads);
  assert.is(pinned.length, MAX_PINNED_HEADS);
  assert.is(left, 76);
  assert.equal(pinned, [...heads].sort().slice(0, MAX_PINNED_HEADS));
});

test.run();

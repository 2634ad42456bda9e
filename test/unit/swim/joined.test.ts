import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JoinedRule } from '../../../protocol/swim/joined.js';

test("a cluster's first node has joined from the start; one with a seed, once it sees another member", () => {
  assert.ok(new JoinedRule({ seeds: 0, knewOthers: false }).joinedWith(1));
  const joiner = new JoinedRule({ seeds: 1, knewOthers: false });
  assert.not.ok(joiner.joinedWith(1));
  assert.ok(joiner.joinedWith(2));
});

test('a node restarted with no seed that knew others waits to see one, and a joined node stays joined when it is left alone', () => {
  const restarted = new JoinedRule({ seeds: 0, knewOthers: true });
  assert.not.ok(restarted.joinedWith(1), 'it must not decide alone what its cluster decides');
  assert.ok(restarted.joinedWith(3));
  assert.ok(restarted.joinedWith(1), 'a partition is not a failed join');
});

test.run();

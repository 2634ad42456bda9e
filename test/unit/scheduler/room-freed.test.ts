import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RoomFreed } from '../../../protocol/scheduler/room-freed.js';

const totals = (slots: number, cpuMillis = 0, memoryBytes = 0) => ({ slots, cpuMillis, memoryBytes });

/** One plan: `blocked` are the slots whose latest auction closed empty, at their epoch. */
function plan(room: RoomFreed, previous: ReturnType<typeof totals> | undefined, blocked: Record<string, number>): Record<string, boolean> {
  room.begin(previous);
  const out = Object.fromEntries(Object.entries(blocked).map(([slot, epoch]) => [slot, room.since(slot, epoch)]));
  room.end();
  return out;
}

test('room is freed once any total falls below what this node saw when the empty auction first showed', () => {
  const room = new RoomFreed();
  assert.equal(plan(room, totals(4, 2000, 100), { s: 1 }), { s: false }, 'first sight marks');
  assert.equal(plan(room, totals(5, 2500, 200), { s: 1 }), { s: false }, 'more placed is no room');
  assert.equal(plan(room, totals(4, 2000, 100), { s: 1 }), { s: false }, 'back to the mark is none either');
  assert.equal(plan(room, totals(4, 1999, 100), { s: 1 }), { s: true }, 'less CPU held');
  assert.equal(plan(room, totals(4, 2000, 99), { s: 1 }), { s: true }, 'less memory held');
  assert.equal(plan(room, totals(3, 2000, 100), { s: 1 }), { s: true }, 'a slot fewer (a host port, no requests)');
});

test('a new empty epoch is marked afresh: room freed once retries once', () => {
  const room = new RoomFreed();
  plan(room, totals(4), { s: 1 });
  assert.equal(plan(room, totals(3), { s: 1 }), { s: true });
  assert.equal(plan(room, totals(3), { s: 2 }), { s: false }, 'the retry closed empty too: its mark is the totals now');
  assert.equal(plan(room, totals(3), { s: 2 }), { s: false });
});

test('before its first plan a node has no totals and marks nothing; a slot no longer blocked is forgotten', () => {
  const room = new RoomFreed();
  assert.equal(plan(room, undefined, { s: 1 }), { s: false });
  assert.equal(plan(room, totals(1), { s: 1 }), { s: false }, 'marked only now');
  assert.equal(plan(room, totals(0), {}), {});
  assert.equal(plan(room, totals(0), { s: 1 }), { s: false }, 'forgotten while placed or gone: marked afresh');
});

test.run();

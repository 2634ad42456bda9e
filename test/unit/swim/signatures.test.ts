import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRandom } from '../../../base/random.js';
import { SwimMachine, swimConfig, type Update } from '../../../protocol/swim/index.js';
import { alive, aliveEntry, changes, left, machineWith, onlySend, record, sends, signatures } from './harness.js';

// A key holder (here "x", a member like any other) speaks for other members: what only a
// member may say of itself must be its own, and an accusation may name only an
// incarnation the member signed. Before, `left` at 2^32-1 evicted a member for good: its
// refutation (2^32) decodes nowhere.

const MAX = 0xffffffff;
const forged = (update: Update): Update => ({ ...update, signature: 'f00dfeed' }) as Update;

test("a third party's left, or a forged alive, for a member is refused and counted; the member stays as it was", () => {
  const a = machineWith(['b', 'x']);
  const impostor = { ...record('b'), addrs: ['/ip4/10.6.6.6/tcp/1'] };
  // The last is b's signature of another record: a signature binds the record it signs.
  const signedOther = { ...alive(MAX, record('b')), member: impostor };
  for (const update of [forged(left('b', MAX)), forged(left('b', 0)), forged(alive(MAX, impostor)), signedOther]) {
    assert.equal(changes(a.handleMessage('x', { type: 'gossip', updates: [update] }, 10)), []);
  }
  assert.is(a.member('b')?.state, 'alive');
  assert.is(a.member('b')?.incarnation, 0);
  assert.equal(a.member('b')?.record.addrs, record('b').addrs);
  assert.is(a.refused.signature, 4);
});

test('an accusation above the incarnation its member signed is refused, about another member or about this one', () => {
  const a = machineWith(['b', 'x']);
  for (const kind of ['suspect', 'dead'] as const) {
    assert.equal(changes(a.handleMessage('x', { type: 'gossip', updates: [{ kind, incarnation: MAX, id: 'b', from: 'x' }] }, 10)), []);
    const aboutSelf = sends(a.handleMessage('x', { type: 'gossip', updates: [{ kind, incarnation: MAX, id: 'a', from: 'x' }] }, 10));
    assert.equal(aboutSelf, [], 'no refutation to spread');
  }
  assert.is(a.member('b')?.state, 'alive');
  assert.is(a.member('a')?.incarnation, 0, 'not refuted: a refutation at 2^32 would decode nowhere');
  assert.is(a.refutations, 0);
  assert.is(a.refused.incarnation, 4);
  // At the incarnation b signed, an accusation stands, and b may refute it by signing the next.
  assert.equal(changes(a.handleMessage('x', { type: 'gossip', updates: [{ kind: 'suspect', incarnation: 0, id: 'b', from: 'x' }] }, 20)), ['b:suspect']);
  assert.equal(changes(a.handleMessage('b', { type: 'gossip', updates: [alive(1, record('b'))] }, 30)), ['b:alive']);
});

test("a member's own signed leave counts; an old one replayed after it came back does not", () => {
  const a = machineWith(['b', 'x']);
  assert.equal(changes(a.handleMessage('x', { type: 'gossip', updates: [left('b', 0)] }, 10)), ['b:left']);
  assert.equal(changes(a.handleMessage('b', { type: 'gossip', updates: [alive(1, record('b'))] }, 20)), ['b:alive']);
  assert.equal(changes(a.handleMessage('x', { type: 'gossip', updates: [left('b', 0)] }, 30)), []);
  assert.is(a.member('b')?.state, 'alive');
  assert.is(a.refused.signature, 0);
});

test('a forgery ends its message: what came before it stands, the rest is not read, and nothing is answered', () => {
  const a = machineWith(['b', 'c', 'x']);
  const updates = [alive(1, record('b')), forged(left('c', 0)), { kind: 'dead' as const, incarnation: 0, id: 'b', from: 'x' }];
  const effects = a.handleMessage('x', { type: 'ping', seq: 7, target: 'a', updates }, 10);
  assert.equal(changes(effects), []);
  assert.ok(!sends(effects).some((s) => s.message.type === 'ack'), 'the ping is not answered');
  assert.is(a.member('b')?.incarnation, 1, 'b signed incarnation 1');
  assert.is(a.member('b')?.state, 'alive', 'the accusation after the forgery was not read');
  assert.is(a.member('c')?.state, 'alive');

  const sync = { type: 'sync' as const, reply: false, members: [aliveEntry(record('x'), 3), { ...aliveEntry(record('c'), 9), signature: 'f00dfeed' }] };
  assert.equal(sends(a.handleMessage('x', sync, 20)), [], 'a sync with a forged entry is not answered');
  assert.is(a.member('x')?.incarnation, 3);
  assert.is(a.member('c')?.incarnation, 0);
});

test('a sync carries the signature behind each entry, so an accusation above what a node saw stands on it', () => {
  const b = machineWith(['c', 'x']);
  b.handleMessage('c', { type: 'gossip', updates: [alive(2, record('c')), { kind: 'suspect', incarnation: 2, id: 'c', from: 'x' }] }, 10);
  const reply = onlySend(b.handleMessage('x', { type: 'sync', reply: false, members: [] }, 20)).message;
  assert.ok(reply.type === 'sync');
  const a = machineWith(['c', 'x']);
  a.handleMessage('b', { ...reply, reply: true }, 30);
  assert.is(a.member('c')?.state, 'suspect');
  assert.is(a.member('c')?.incarnation, 2);
  assert.is(a.refused.signature + a.refused.incarnation, 0);
});

test('a member taken from a snapshot without its signature is not passed on in a sync', () => {
  const a = new SwimMachine({ config: swimConfig.lan(), self: record('a'), signatures: signatures('a'), random: createRandom(3) });
  a.learn([{ record: record('b') }, { record: record('c'), signature: alive(0, record('c')).signature }], 0);
  const sync = onlySend(a.handleMessage('x', { type: 'sync', reply: false, members: [] }, 10)).message;
  assert.equal(sync.type === 'sync' && sync.members.map((m) => m.member.id), ['a', 'c']);
});

test.run();

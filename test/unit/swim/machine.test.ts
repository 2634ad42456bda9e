import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRandom } from '../../../base/random.js';
import { SwimMachine, swimConfig } from '../../../protocol/swim/index.js';
import { alive, changes, left, machineWith, onlySend, probe, record, sends, signatures, timers } from './harness.js';

test('a probe tick pings one member, names it as target, and arms the direct-ack timeout', () => {
  const a = machineWith(['b', 'c', 'd']);
  const { to, seq, effects } = probe(a, 1000);
  assert.ok(['b', 'c', 'd'].includes(to));
  const ping = onlySend(effects).message;
  assert.equal(ping.type === 'ping' && ping.target, to);
  assert.ok(timers(effects).some((t) => t.timer.kind === 'probe-timeout' && t.timer.seq === seq && t.afterMs === 500));
  assert.ok(timers(effects).some((t) => t.timer.kind === 'probe' && t.afterMs === 1000));
});

test('probes go round-robin: every member once before any twice', () => {
  const a = machineWith(['b', 'c', 'd', 'e']);
  const round = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const { to, seq } = probe(a, 1000 * (i + 1));
    round.add(to);
    a.handleMessage(to, { type: 'ack', seq, updates: [] }, 1000 * (i + 1) + 10);
  }
  assert.equal([...round].sort(), ['b', 'c', 'd', 'e']);
});

test('a census pings every reachable member; those that leave it unanswered for a probe period are silent, until they speak', () => {
  const a = machineWith(['b', 'c', 'd']);
  const pings = sends(a.census(1000));
  assert.equal(pings.map((p) => p.to).sort(), ['b', 'c', 'd']);
  assert.ok(pings.every((p) => p.message.type === 'ping' && p.message.target === p.to));
  const seqOf = (to: string): number => {
    const message = pings.find((p) => p.to === to)?.message;
    return message?.type === 'ping' ? message.seq : -1;
  };
  a.handleMessage('b', { type: 'ack', seq: seqOf('b'), updates: [] }, 1010);
  assert.equal([...a.silentMembers(1999)], [], 'not before a probe period');
  assert.equal([...a.silentMembers(2000)].sort(), ['c', 'd']);
  a.handleMessage('c', { type: 'gossip', updates: [] }, 2100);
  assert.equal([...a.silentMembers(2200)], ['d']);
  assert.is(a.member('d')?.state, 'alive', "silence is the majority rule's business; SWIM still judges by its probes");
});

test('an answered probe leaves the member alive', () => {
  const a = machineWith(['b']);
  const { to, seq } = probe(a, 1000);
  a.handleMessage(to, { type: 'ack', seq, updates: [] }, 1010);
  const next = a.handleTimer({ kind: 'probe' }, 2000);
  assert.equal(changes(next), []);
  assert.is(a.member('b')?.state, 'alive');
});

test('a missed direct ack asks k other members to probe indirectly', () => {
  const a = machineWith(['b', 'c', 'd', 'e', 'f']);
  const { to, seq } = probe(a, 1000);
  const effects = a.handleTimer({ kind: 'probe-timeout', seq }, 1500);
  const requests = sends(effects);
  assert.is(requests.length, 3);
  for (const r of requests) {
    assert.is(r.message.type, 'ping-req');
    assert.ok(r.to !== to);
    assert.equal(r.message.type === 'ping-req' && [r.message.seq, r.message.target], [seq, to]);
  }
});

test('an indirect ack saves the member from suspicion', () => {
  const a = machineWith(['b', 'c', 'd']);
  const { to, seq } = probe(a, 1000);
  const helper = sends(a.handleTimer({ kind: 'probe-timeout', seq }, 1500))[0]?.to as string;
  a.handleMessage(helper, { type: 'ack', seq, updates: [] }, 1600);
  assert.equal(changes(a.handleTimer({ kind: 'probe' }, 2000)), []);
  assert.is(a.member(to)?.state, 'alive');
});

test('a member that answers neither directly nor indirectly becomes suspect', () => {
  const a = machineWith(['b', 'c', 'd']);
  const { to, seq } = probe(a, 1000);
  a.handleTimer({ kind: 'probe-timeout', seq }, 1500);
  const effects = a.handleTimer({ kind: 'probe' }, 2000);
  assert.ok(changes(effects).includes(`${to}:suspect`));
  assert.is(a.member(to)?.state, 'suspect');
  assert.ok(timers(effects).some((t) => t.timer.kind === 'suspicion' && t.timer.id === to));
});

test("a relay pings the target for the requester and forwards its ack under the requester's sequence number", () => {
  const a = machineWith(['b', 'c']);
  const relayed = onlySend(a.handleMessage('b', { type: 'ping-req', seq: 41, target: 'c', updates: [] }, 100));
  assert.is(relayed.to, 'c');
  assert.ok(relayed.message.type === 'ping' && relayed.message.target === 'c');
  const relaySeq = relayed.message.type === 'ping' ? relayed.message.seq : -1;
  const forwarded = onlySend(a.handleMessage('c', { type: 'ack', seq: relaySeq, updates: [] }, 110));
  assert.is(forwarded.to, 'b');
  assert.equal(forwarded.message.type === 'ack' && forwarded.message.seq, 41);
});

test('a relay whose target stays silent sends the requester a nack', () => {
  const a = machineWith(['b', 'c']);
  const effects = a.handleMessage('b', { type: 'ping-req', seq: 9, target: 'c', updates: [] }, 100);
  const timeout = timers(effects).find((t) => t.timer.kind === 'relay-timeout');
  assert.ok(timeout);
  const nack = onlySend(a.handleTimer(timeout!.timer, 100 + timeout!.afterMs));
  assert.equal([nack.to, nack.message.type, nack.message.type === 'nack' && nack.message.seq], ['b', 'nack', 9]);
});

test('a ping is answered with an ack carrying its sequence number; a ping for another id is not', () => {
  const a = machineWith(['b']);
  const ack = onlySend(a.handleMessage('b', { type: 'ping', seq: 5, target: 'a', updates: [] }, 10));
  assert.equal([ack.to, ack.message.type === 'ack' && ack.message.seq], ['b', 5]);
  assert.equal(sends(a.handleMessage('b', { type: 'ping', seq: 6, target: 'zz', updates: [] }, 20)), []);
});

test('a suspicion that nobody refutes ends in dead after its timeout', () => {
  const a = machineWith(['b', 'c', 'd']);
  const effects = a.handleMessage('c', { type: 'gossip', updates: [{ kind: 'suspect', id: 'b', incarnation: 0, from: 'c' }] }, 0);
  const timer = timers(effects).find((t) => t.timer.kind === 'suspicion');
  assert.ok(timer);
  assert.equal(changes(a.handleTimer(timer!.timer, timer!.afterMs - 1)), []);
  assert.equal(changes(a.handleTimer(timer!.timer, timer!.afterMs)), ['b:dead']);
  assert.is(a.member('b')?.state, 'dead');
});

test('independent confirmations bring the suspicion deadline in', () => {
  const peers = ['b', 'c', 'd', 'e', 'f', 'g'];
  const a = machineWith(peers);
  const first = timers(a.handleMessage('c', { type: 'gossip', updates: [{ kind: 'suspect', id: 'b', incarnation: 0, from: 'c' }] }, 0));
  const again = timers(a.handleMessage('c', { type: 'gossip', updates: [{ kind: 'suspect', id: 'b', incarnation: 0, from: 'c' }] }, 0));
  const confirmed = timers(a.handleMessage('d', { type: 'gossip', updates: [{ kind: 'suspect', id: 'b', incarnation: 0, from: 'd' }] }, 0));
  assert.equal(again, [], 'the same accuser twice is not a confirmation');
  assert.ok((confirmed[0]?.afterMs ?? Infinity) < (first[0]?.afterMs ?? 0));
});

test('a member suspected of itself refutes with a higher incarnation and judges others more slowly', () => {
  const a = machineWith(['b', 'c']);
  a.handleMessage('b', { type: 'gossip', updates: [{ kind: 'suspect', id: 'a', incarnation: 0, from: 'b' }] }, 0);
  assert.is(a.member('a')?.incarnation, 1);
  assert.is(a.healthScore, 1);
  const ping = onlySend(a.handleMessage('c', { type: 'ping', seq: 1, target: 'a', updates: [] }, 10));
  assert.ok(ping.message.type === 'ack' && ping.message.updates.some((u) => u.kind === 'alive' && u.member.id === 'a' && u.incarnation === 1));
});

test('an alive update with a higher incarnation clears a suspicion; one with the same incarnation does not', () => {
  const a = machineWith(['b', 'c']);
  a.handleMessage('c', { type: 'gossip', updates: [{ kind: 'suspect', id: 'b', incarnation: 0, from: 'c' }] }, 0);
  a.handleMessage('c', { type: 'gossip', updates: [alive(0, record('b'))] }, 1);
  assert.is(a.member('b')?.state, 'suspect');
  const effects = a.handleMessage('b', { type: 'gossip', updates: [alive(1, record('b'))] }, 2);
  assert.equal(changes(effects), ['b:alive']);
  assert.is(a.member('b')?.state, 'alive');
});

test('dead is final for its incarnation; a rejoin with a higher incarnation brings the member back', () => {
  const a = machineWith(['b', 'c']);
  assert.equal(changes(a.handleMessage('c', { type: 'gossip', updates: [{ kind: 'dead', id: 'b', incarnation: 0, from: 'c' }] }, 0)), ['b:dead']);
  a.handleMessage('c', { type: 'gossip', updates: [alive(0, record('b'))] }, 1);
  a.handleMessage('c', { type: 'gossip', updates: [{ kind: 'suspect', id: 'b', incarnation: 0, from: 'c' }] }, 1);
  assert.is(a.member('b')?.state, 'dead');
  assert.equal(changes(a.handleMessage('b', { type: 'gossip', updates: [alive(3, record('b'))] }, 2)), ['b:alive']);
});

test('a graceful leave tells several members and marks itself left; others record left, and dead cannot overwrite it', () => {
  const a = machineWith(['b', 'c', 'd']);
  const effects = a.leave(0);
  assert.ok(sends(effects).length >= 3);
  assert.ok(sends(effects).every((s) => s.message.type === 'gossip' && s.message.updates.some((u) => u.kind === 'left' && u.id === 'a')));
  assert.is(a.member('a')?.state, 'left');
  assert.equal(a.handleTimer({ kind: 'probe' }, 1000), []);

  const b = machineWith(['b', 'c']);
  assert.equal(changes(b.handleMessage('b', { type: 'gossip', updates: [left('b', 0)] }, 0)), ['b:left']);
  b.handleMessage('c', { type: 'gossip', updates: [{ kind: 'dead', id: 'b', incarnation: 0, from: 'c' }] }, 1);
  assert.is(b.member('b')?.state, 'left');
});

test('join is a push-pull: the seed learns the joiner and answers with everyone it knows', () => {
  const seed = machineWith(['b', 'c']);
  const joiner = new SwimMachine({ config: swimConfig.lan(), self: record('z'), signatures: signatures('z'), random: createRandom(1) });
  const request = onlySend(joiner.join(['a']));
  assert.is(request.message.type, 'sync');
  const reply = onlySend(seed.handleMessage('z', request.message, 0));
  assert.equal(reply.message.type === 'sync' && reply.message.reply, true);
  assert.is(seed.member('z')?.state, 'alive');
  joiner.handleMessage('a', reply.message, 1);
  assert.equal(
    joiner
      .members()
      .map((m) => m.record.id)
      .sort(),
    ['a', 'b', 'c', 'z'],
  );
});

test('a member that rejoins after a restart refutes the dead state others hold of it', () => {
  const seed = machineWith(['b']);
  seed.handleMessage(
    'b',
    {
      type: 'gossip',
      updates: [{ kind: 'dead', id: 'z', incarnation: 4, from: 'b' }, alive(4, record('z'))],
    },
    0,
  );
  seed.handleMessage('b', { type: 'gossip', updates: [{ kind: 'dead', id: 'z', incarnation: 4, from: 'b' }] }, 0);
  assert.is(seed.member('z')?.state, 'dead');
  const restarted = new SwimMachine({ config: swimConfig.lan(), self: record('z'), signatures: signatures('z'), random: createRandom(2) });
  const reply = onlySend(seed.handleMessage('z', onlySend(restarted.join(['a'])).message, 10));
  restarted.handleMessage('a', reply.message, 20);
  assert.is(restarted.member('z')?.incarnation, 5);
  const gossip = sends(restarted.handleTimer({ kind: 'gossip' }, 220)).find((s) => s.to === 'a');
  assert.ok(gossip);
  seed.handleMessage('z', gossip!.message, 230);
  assert.is(seed.member('z')?.state, 'alive');
});

test('Lifeguard: helpers that never answer raise the local health score, which stretches the probe period', () => {
  const a = machineWith(['b', 'c', 'd', 'e']);
  const { seq } = probe(a, 1000);
  a.handleTimer({ kind: 'probe-timeout', seq }, 1500);
  const next = a.handleTimer({ kind: 'probe' }, 2000);
  assert.is(a.healthScore, 3);
  assert.ok(timers(next).some((t) => t.timer.kind === 'probe' && t.afterMs === 4000));
});

test('an update is piggybacked lambda * ceil(log10(N + 1)) times, an alive update twice that', () => {
  const a = machineWith(['b', 'c', 'd'], { retransmitMultiplier: 2 });
  a.handleMessage(
    'b',
    {
      type: 'gossip',
      updates: [alive(1, record('b')), { kind: 'suspect', id: 'd', incarnation: 0, from: 'b' }],
    },
    0,
  );
  const carried = { alive: 0, suspect: 0 };
  for (let i = 0; i < 10; i++) {
    const ack = onlySend(a.handleMessage('c', { type: 'ping', seq: i, target: 'a', updates: [] }, i));
    const updates = ack.message.type === 'ack' ? ack.message.updates : [];
    if (updates.some((u) => u.kind === 'alive' && u.member.id === 'b')) carried.alive++;
    if (updates.some((u) => u.kind === 'suspect' && u.id === 'd')) carried.suspect++;
  }
  assert.equal(carried, { alive: 4, suspect: 2 });
});

test('a reconnect tick tells one dead member who we are and that we hold it dead, and nothing more', () => {
  const a = machineWith(['b', 'c', 'd']);
  a.handleMessage(
    'c',
    {
      type: 'gossip',
      updates: [{ kind: 'dead', id: 'b', incarnation: 2, from: 'c' }, alive(2, record('b'))],
    },
    0,
  );
  a.handleMessage('c', { type: 'gossip', updates: [{ kind: 'dead', id: 'b', incarnation: 2, from: 'c' }] }, 0);
  const sync = sends(a.handleTimer({ kind: 'reconnect' }, 10_000)).find((s) => s.message.type === 'sync');
  assert.ok(sync);
  assert.is(sync!.to, 'b');
  const members = sync!.message.type === 'sync' ? sync!.message.members : [];
  assert.equal(
    members.map((m) => [m.member.id, m.state, m.incarnation]),
    [
      ['a', 'alive', 0],
      ['b', 'dead', 2],
    ],
  );
});

test('a stale timer is a no-op', () => {
  const a = machineWith(['b', 'c']);
  assert.equal(a.handleTimer({ kind: 'probe-timeout', seq: 999 }, 10), []);
  assert.equal(a.handleTimer({ kind: 'suspicion', id: 'b', incarnation: 0 }, 10), []);
  assert.equal(a.handleTimer({ kind: 'relay-timeout', seq: 3 }, 10), []);
});

test.run();

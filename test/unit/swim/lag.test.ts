import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decayedLagMs, lagHealthScore, lagNoiseMs, type SwimMessage } from '../../../protocol/swim/index.js';
import { alive, changes, machineWith, probe, record, sends, timers } from './harness.js';

// Lag awareness (protocol/swim/lag.ts): a node that knows it runs late probes less, waits
// longer, holds a verdict a stall held up for one turn of its loop, and says how late it
// runs, so its peers wait for it too. On `lan`: probes every 1,000 ms, acks within 500 ms,
// lag under 125 ms is noise, and a lag estimate halves every 30 s.

test('a lag is worth one step of local health per probe timeout, nothing while it is noise, at most awarenessMax - 1', () => {
  const rows: [number, number][] = [
    [0, 0],
    [125, 0],
    [126, 1],
    [500, 1],
    [501, 2],
    [1_500, 3],
    [60_000, 7],
  ];
  for (const [lagMs, want] of rows) assert.is(lagHealthScore(lagMs, 500, 8), want, `${lagMs} ms`);
  assert.is(lagNoiseMs(200), 50);
  assert.is(decayedLagMs(1_000, 30_000, 30_000), 500);
  assert.is(decayedLagMs(1_000, 0, 30_000), 1_000);
});

test('a reported lag stretches the probe period and the ack timeout, and they come back as the lag fades', () => {
  const a = machineWith(['b', 'c', 'd']);
  a.reportLag(1_200, 1_000);
  const first = probe(a, 1_000);
  const stretched = timers(first.effects);
  assert.ok(
    stretched.some((t) => t.timer.kind === 'probe' && t.afterMs === 4_000),
    '(3 + 1) probe periods',
  );
  assert.ok(stretched.some((t) => t.timer.kind === 'probe-timeout' && t.afterMs === 2_000));
  assert.is(a.healthScore, 3);
  a.handleMessage(first.to, { type: 'ack', seq: first.seq, updates: [] }, 1_010);
  assert.is(a.lagMs(1_000 + 30_000), 600, 'halved after one half-life');
  // Four half-lives later the lag (75 ms) is noise again.
  a.handleMessage('c', { type: 'gossip', updates: [] }, 1_000 + 120_000);
  assert.is(a.healthScore, 0);
});

test('a lag under the noise floor changes nothing', () => {
  const a = machineWith(['b', 'c']);
  a.reportLag(100, 1_000);
  const effects = timers(probe(a, 1_000).effects);
  assert.ok(effects.some((t) => t.timer.kind === 'probe' && t.afterMs === 1_000));
  assert.ok(effects.some((t) => t.timer.kind === 'probe-timeout' && t.afterMs === 500));
  assert.ok(sends(a.handleMessage('b', { type: 'ping', seq: 1, target: 'a', updates: [] }, 1_010)).every((s) => s.message.lagMs === undefined));
});

test('a probe tick a stall held up waits one turn of the loop for the ack behind it, and judges none', () => {
  const a = machineWith(['b', 'c', 'd']);
  const first = probe(a, 1_000);
  // The loop stalled from 1,050 to 3,000 ms: the probe timeout (due 1,500) and the next
  // tick (due 2,000) run before the ack that came at 1,002 is read.
  const held = a.handleTimer({ kind: 'probe-timeout', seq: first.seq }, 3_000);
  assert.equal(sends(held), [], 'no helper asked yet');
  assert.ok(timers(held).some((t) => t.timer.kind === 'probe-timeout' && t.afterMs === 1));
  const tick = a.handleTimer({ kind: 'probe' }, 3_000);
  assert.equal(sends(tick), []);
  assert.ok(timers(tick).some((t) => t.timer.kind === 'probe' && t.afterMs === 1));
  a.handleMessage(first.to, { type: 'ack', seq: first.seq, updates: [] }, 3_000);
  assert.equal(sends(a.handleTimer({ kind: 'probe-timeout', seq: first.seq }, 3_001)), [], 'acked: nothing to ask');
  const next = a.handleTimer({ kind: 'probe' }, 3_001);
  assert.equal(changes(next), []);
  assert.is(a.member(first.to)?.state, 'alive');
  assert.ok(a.healthScore > 0, 'the late timers told the node it runs late');
});

test('a tick held one turn judges the probe failed when no ack came in that turn', () => {
  const a = machineWith(['b', 'c', 'd']);
  const first = probe(a, 1_000);
  a.handleTimer({ kind: 'probe' }, 3_000);
  const judged = a.handleTimer({ kind: 'probe' }, 3_001);
  assert.ok(changes(judged).includes(`${first.to}:suspect`));
});

test('without lag awareness a late tick judges at once, reported lag changes nothing, and no message says a lag', () => {
  const a = machineWith(['b', 'c', 'd'], {}, 7, false);
  a.reportLag(5_000, 500);
  const first = probe(a, 1_000);
  assert.ok(timers(first.effects).some((t) => t.timer.kind === 'probe' && t.afterMs === 1_000));
  assert.ok(changes(a.handleTimer({ kind: 'probe' }, 3_000)).includes(`${first.to}:suspect`));
  assert.ok(sends(a.handleMessage('b', { type: 'ping', seq: 1, target: 'a', updates: [] }, 3_010)).every((s) => s.message.lagMs === undefined));
  assert.is(a.lagMs(3_010), 0);
});

const suspectB = { type: 'gossip', updates: [{ kind: 'suspect', id: 'b', incarnation: 0, from: 'c' }] } satisfies SwimMessage;

test('a suspicion waits longer on a node that runs late, and one whose timer fired late learns it runs late', () => {
  const plain = timers(machineWith(['b', 'c', 'd']).handleMessage('c', suspectB, 0)).find((t) => t.timer.kind === 'suspicion');
  const a = machineWith(['b', 'c', 'd']);
  // 4 members, no confirmation yet: Lifeguard's timeout is 6 times its minimum (suspicionMaxMultiplier).
  const minimumMs = plain!.afterMs / 6;
  a.reportLag(1_200, 0);
  const modest = timers(a.handleMessage('c', suspectB, 0)).find((t) => t.timer.kind === 'suspicion');
  assert.is(modest?.afterMs, plain?.afterMs, 'a lag worth 3 stretches the minimum to 4 times, still under the timeout: no change');
  const b = machineWith(['b', 'c', 'd']);
  b.reportLag(3_000, 0);
  const timer = timers(b.handleMessage('c', suspectB, 0)).find((t) => t.timer.kind === 'suspicion');
  assert.is(timer?.afterMs, 7 * minimumMs, 'a lag worth 6: (6 + 1) times the minimum, over the timeout');

  const late = machineWith(['b', 'c', 'd']);
  const lateTimer = timers(late.handleMessage('c', suspectB, 0)).find((t) => t.timer.kind === 'suspicion');
  // Its timer fires 3.6 s late: that lag is worth the cap, 7, so the suspicion now waits 8 times the minimum.
  const rearmed = late.handleTimer(lateTimer!.timer, lateTimer!.afterMs + 3_600);
  assert.equal(changes(rearmed), []);
  assert.ok(timers(rearmed).some((t) => t.timer.kind === 'suspicion' && t.afterMs === 8 * minimumMs - lateTimer!.afterMs - 3_600));
});

test('a suspicion timer a stall held up past its deadline waits a turn of the loop for the refutation behind it', () => {
  const a = machineWith(['b', 'c', 'd']);
  a.reportLag(4_000, 0);
  const timer = timers(a.handleMessage('c', suspectB, 0)).find((t) => t.timer.kind === 'suspicion');
  assert.ok(timer);
  // 8 times the timeout later the lag has faded, and the timer fires 2 s late besides.
  const atMs = timer!.afterMs + 2_000;
  const held = a.handleTimer(timer!.timer, atMs);
  assert.equal(changes(held), []);
  assert.ok(timers(held).some((t) => t.timer.kind === 'suspicion' && t.afterMs === 1));
  assert.equal(changes(a.handleMessage('b', { type: 'gossip', updates: [alive(1, record('b'))] }, atMs)), ['b:alive']);
  assert.equal(changes(a.handleTimer(timer!.timer, atMs + 1)), [], 'refuted: the timer is stale');

  const unrefuted = machineWith(['b', 'c', 'd']);
  unrefuted.reportLag(4_000, 0);
  unrefuted.handleMessage('c', suspectB, 0);
  assert.equal(changes(unrefuted.handleTimer(timer!.timer, atMs)), []);
  assert.equal(changes(unrefuted.handleTimer(timer!.timer, atMs + 1)), ['b:dead'], 'held once, then judged');
});

test('a node that runs late says so on every message; a member that said so gets a longer probe, relay and suspicion', () => {
  const slow = machineWith(['b', 'c']);
  slow.reportLag(1_200, 0);
  const said = sends(slow.handleMessage('b', { type: 'ping', seq: 1, target: 'a', updates: [] }, 10));
  assert.equal(
    said.map((s) => [s.message.type, s.message.lagMs]),
    [['ack', 1_200]],
  );

  const plain = timers(machineWith(['b', 'c', 'd']).handleMessage('c', suspectB, 0)).find((t) => t.timer.kind === 'suspicion');
  const other = machineWith(['b', 'c', 'd']);
  other.handleMessage('b', { type: 'gossip', updates: [], lagMs: 3_000 }, 0);
  const stretched = timers(other.handleMessage('c', suspectB, 0)).find((t) => t.timer.kind === 'suspicion');
  assert.is(stretched?.afterMs, (7 * (plain?.afterMs ?? 0)) / 6, 'a suspicion of b waits (6 + 1) times the minimum');
  const relay = timers(other.handleMessage('c', { type: 'ping-req', seq: 9, target: 'b', updates: [] }, 10)).find((t) => t.timer.kind === 'relay-timeout');
  assert.is(relay?.afterMs, Math.floor(7 * 500 * 0.8), "a relay waits for b's ack as long as the requester did");

  const prober = machineWith(['b', 'c', 'd']);
  prober.handleMessage('b', { type: 'gossip', updates: [], lagMs: 1_200 }, 0);
  // Ticks on time: a late one would tell the prober it runs late itself.
  for (let tick = 0, nowMs = 1_000; tick < 9; tick++) {
    const round = probe(prober, nowMs);
    // b says it runs late on every message it sends, its acks too.
    prober.handleMessage(round.to, { type: 'ack', seq: round.seq, updates: [], ...(round.to === 'b' ? { lagMs: 1_200 } : {}) }, nowMs + 5);
    const armed = timers(round.effects);
    const want = round.to === 'b' ? [4_000, 2_000] : [1_000, 500];
    assert.ok(
      armed.some((t) => t.timer.kind === 'probe' && t.afterMs === want[0]),
      `a round long enough for ${round.to} and its helpers`,
    );
    assert.ok(armed.some((t) => t.timer.kind === 'probe-timeout' && t.afterMs === want[1]));
    nowMs += want[0] as number;
  }

  // A message without a lag: b no longer runs late.
  const healed = machineWith(['b', 'c', 'd']);
  healed.handleMessage('b', { type: 'gossip', updates: [], lagMs: 1_200 }, 0);
  healed.handleMessage('b', { type: 'gossip', updates: [] }, 1);
  const back = timers(healed.handleMessage('c', suspectB, 2)).find((t) => t.timer.kind === 'suspicion');
  assert.is(back?.afterMs, plain?.afterMs);
});

test('an ack that comes after its probe was judged failed counts the suspicion from the answer', () => {
  const a = machineWith(['b', 'c', 'd']);
  const first = probe(a, 1_000);
  a.handleTimer({ kind: 'probe-timeout', seq: first.seq }, 1_500);
  const judged = a.handleTimer({ kind: 'probe' }, 2_000);
  assert.ok(changes(judged).includes(`${first.to}:suspect`));
  const timer = timers(judged).find((t) => t.timer.kind === 'suspicion');
  assert.ok(timer);
  const dueMs = 2_000 + timer!.afterMs;
  // The target answers at 2,400 ms: it lived after we accused it.
  a.handleMessage(first.to, { type: 'ack', seq: first.seq, updates: [] }, 2_400);
  const moved = a.handleTimer(timer!.timer, dueMs);
  assert.equal(changes(moved), []);
  assert.ok(timers(moved).some((t) => t.timer.kind === 'suspicion' && t.afterMs === 400));
  assert.equal(changes(a.handleTimer(timer!.timer, dueMs + 400)), [`${first.to}:dead`], 'no refutation came: dead, 400 ms later');
});

test('a node that runs late sends its refutation at once, not at the next gossip round', () => {
  const a = machineWith(['b', 'c', 'd']);
  a.reportLag(1_200, 0);
  const effects = a.handleMessage('b', { type: 'gossip', updates: [{ kind: 'suspect', id: 'a', incarnation: 0, from: 'b' }] }, 10);
  const refutations = sends(effects).filter((s) => s.message.type === 'gossip' && s.message.updates.some((u) => u.kind === 'alive' && u.member.id === 'a'));
  assert.ok(refutations.length > 0);
  const healthy = machineWith(['b', 'c', 'd']);
  assert.equal(sends(healthy.handleMessage('b', { type: 'gossip', updates: [{ kind: 'suspect', id: 'a', incarnation: 0, from: 'b' }] }, 10)), []);
});

test('a member that claims the largest lag the wire allows buys itself a bounded delay: awarenessMax times the probe timeout and the suspicion minimum', () => {
  const plain = timers(machineWith(['b', 'c', 'd']).handleMessage('c', suspectB, 0)).find((t) => t.timer.kind === 'suspicion');
  const fooled = machineWith(['b', 'c', 'd']);
  fooled.handleMessage('b', { type: 'gossip', updates: [], lagMs: 86_400_000 }, 0);
  const suspicion = timers(fooled.handleMessage('c', suspectB, 0)).find((t) => t.timer.kind === 'suspicion');
  assert.is(suspicion?.afterMs, (8 * (plain?.afterMs ?? 0)) / 6, "8 times Lifeguard's minimum, not 8 times its timeout");
  const relay = timers(fooled.handleMessage('c', { type: 'ping-req', seq: 9, target: 'b', updates: [] }, 10)).find((t) => t.timer.kind === 'relay-timeout');
  assert.is(relay?.afterMs, Math.floor(8 * 500 * 0.8));
  // What it claims fades unless it says it again (30 s half-life on lan): silent, a crashed liar is judged as others soon.
  const later = timers(fooled.handleMessage('c', { type: 'ping-req', seq: 10, target: 'b', updates: [] }, 30 * 60_000)).find((t) => t.timer.kind === 'relay-timeout');
  assert.is(later?.afterMs, Math.floor(500 * 0.8));
});

test.run();

import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FrameTransport } from '../../../node/frame-transport.js';
import type { LoopLag } from '../../../node/swim/loop-lag.js';
import { lagAwarenessFromEnv, SwimService } from '../../../node/swim/service.js';
import { decode, encode, swimConfig, type MemberEvent, type SwimMessage } from '../../../protocol/swim/index.js';
import { aliveEntry, record, signatures } from './harness.js';

// The daemon's driver runs the machine on the host's monotonic clock (a wall clock
// stepped forward ended suspicions early), and hands everyone else wall-clock times.

function service(): { swim: SwimService; events: MemberEvent[]; clocks: { wallMs: number; monotonicMs: number } } {
  const clocks = { wallMs: 1_800_000_000_000, monotonicMs: 5_000 };
  const events: MemberEvent[] = [];
  const swim = new SwimService({
    config: swimConfig.lan(),
    self: record('a'),
    signatures: signatures('a'),
    log: pino({ level: 'silent' }),
    clock: { nowMs: () => clocks.wallMs },
    monotonicMs: () => clocks.monotonicMs,
    onEvent: (event) => events.push(event),
  });
  return { swim, events, clocks };
}

const frame = (message: SwimMessage): Uint8Array => encode(message);

test("the SWIM service hands out members' and events' times on the wall clock, however it stepped since", () => {
  const { swim, events, clocks } = service();
  try {
    swim.receive('b', frame({ type: 'sync', reply: true, members: [aliveEntry(record('b'), 1)] }));
    assert.equal(
      events.map((e) => [e.id, e.change, e.atMs]),
      [['b', 'joined', clocks.wallMs]],
    );
    assert.is(swim.member('b')?.stateChangedAtMs, clocks.wallMs);
    assert.is(swim.member('a')?.stateChangedAtMs, 0, 'the member itself has never changed: 0, not a time');

    // A second later by both clocks, the wall clock stepped 20 s ahead: b changed a second ago.
    clocks.monotonicMs += 1_000;
    clocks.wallMs += 1_000 + 20_000;
    assert.is(swim.member('b')?.stateChangedAtMs, clocks.wallMs - 1_000);
    assert.equal(
      swim.members().map((m) => [m.record.id, m.stateChangedAtMs]),
      [
        ['a', 0],
        ['b', clocks.wallMs - 1_000],
      ],
    );

    swim.receive('c', frame({ type: 'gossip', updates: [{ kind: 'suspect', id: 'b', incarnation: 1, from: 'c' }] }));
    assert.equal(
      events.slice(1).map((e) => [e.id, e.change, e.atMs]),
      [['b', 'suspect', clocks.wallMs]],
    );
  } finally {
    swim.stop();
  }
});

test('the SWIM service feeds the event-loop lag it reads to the machine, which then says it on its messages; off, the machine ignores it', async () => {
  const sent: SwimMessage[] = [];
  const transport: FrameTransport = {
    send: async (_to, _addrs, bytes) => {
      const decoded = decode(bytes, swimConfig.local());
      if (decoded.ok) sent.push(decoded.value);
      return true;
    },
    stop: async () => undefined,
    counters: { sent: 0, received: 0, sentBytes: 0, receivedBytes: 0, sendFailures: 0, droppedOversized: 0, droppedMalformed: 0, droppedBusy: 0, handlerFailures: 0 },
  };
  const readings = { taken: 0 };
  const loopLag: LoopLag = {
    start: () => undefined,
    takeWorstMs: () => {
      readings.taken++;
      return 1_500;
    },
    stop: () => undefined,
  };
  const make = (lagAwareness: boolean) =>
    new SwimService({
      config: { ...swimConfig.local(), probeIntervalMs: 20 },
      self: record('a'),
      signatures: signatures('a'),
      log: pino({ level: 'silent' }),
      clock: { nowMs: () => Date.now() },
      lagAwareness,
      loopLag,
    });
  const swim = make(true);
  try {
    swim.start(transport);
    swim.receive('b', frame({ type: 'sync', reply: true, members: [aliveEntry(record('b'), 1)] }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(readings.taken > 0 && swim.stats.lagMs > 1_000, `read ${readings.taken} times; lag ${swim.stats.lagMs} ms`);
    swim.receive('b', frame({ type: 'ping', seq: 1, target: 'a', updates: [] }));
    assert.ok(
      sent.some((m) => m.type === 'ack' && (m.lagMs ?? 0) > 1_000),
      'its ack says how late it runs',
    );
  } finally {
    swim.stop();
  }
  const off = make(false);
  try {
    off.start(transport);
    off.receive('b', frame({ type: 'sync', reply: true, members: [aliveEntry(record('b'), 1)] }));
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.is(off.stats.lagMs, 0, 'off: the machine takes no lag into account');
    assert.is(off.counters.worstLagMs, 1_500, 'but the node still reads it, for its status');
    const readingsForMetrics = off.takeLagReadings();
    assert.ok(readingsForMetrics.length > 0 && readingsForMetrics.every((ms) => ms === 1_500), `and for the metrics: ${readingsForMetrics}`);
    assert.equal(off.takeLagReadings(), [], 'each reading taken once');
    sent.length = 0;
    off.receive('b', frame({ type: 'ping', seq: 1, target: 'a', updates: [] }));
    assert.ok(sent.length > 0 && sent.every((m) => m.lagMs === undefined), 'nor says it');
  } finally {
    off.stop();
  }
  assert.is(lagAwarenessFromEnv({ SHOAL_SWIM_LAG_AWARENESS: 'off' }), false);
  assert.is(lagAwarenessFromEnv({}), true);
});

test.run();

import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SwimService } from '../../../node/swim/service.js';
import { encode, swimConfig, type MemberEvent, type SwimMessage } from '../../../protocol/swim/index.js';
import { record } from './harness.js';

// The daemon's driver runs the machine on the host's monotonic clock (a wall clock
// stepped forward ended suspicions early), and hands everyone else wall-clock times.

function service(): { swim: SwimService; events: MemberEvent[]; clocks: { wallMs: number; monotonicMs: number } } {
  const clocks = { wallMs: 1_800_000_000_000, monotonicMs: 5_000 };
  const events: MemberEvent[] = [];
  const swim = new SwimService({
    config: swimConfig.lan(),
    self: record('a'),
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
    swim.receive('b', frame({ type: 'sync', reply: true, members: [{ member: record('b'), incarnation: 1, state: 'alive' }] }));
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

test.run();

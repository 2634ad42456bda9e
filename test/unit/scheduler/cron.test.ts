import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ticksBetween } from '../../../protocol/manifests/cron-job.js';
import { isWinningClaim } from '../../../protocol/scheduler/view.js';
import { node, SharedCluster, workload } from './harness.js';

const START = Date.parse('2026-01-01T00:00:30Z');

test("a CronJob ticking every minute is placed once per tick, on one node, though the nodes' clocks differ by seconds", () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const cron = workload('nightly', 0, { key: 'CronJob/default/nightly', cron: { schedule: '* * * * *', startingDeadlineMs: 20_000 } });
  const cluster = new SharedCluster(new Map(ids.map((id) => [id, node(id)])), [cron]);
  [-3_000, -1_500, 0, 1_500, 3_000].forEach((skew, i) => cluster.skewMs.set(ids[i] as string, skew));
  cluster.nowMs = START;
  cluster.run(3_000, 200);
  const ticks = [...cluster.claims.entries()].filter(([slot]) => slot.startsWith('CronJob/default/nightly#'));
  assert.is(ticks.length, 10, 'ten minutes, ten ticks; the one 30 s before the start is past its 20 s deadline');
  for (const [slot, claims] of ticks) {
    const winners = new Set(claims.filter(isWinningClaim).map((c) => `${c.epoch}:${c.winner}`));
    assert.is(winners.size, 1, `${slot}: one decision, by every collector: ${[...winners].join(' ')}`);
    assert.ok(
      claims.every((c) => c.epoch === 1),
      `${slot} was auctioned once`,
    );
  }
});

test('ticks are listed across hour boundaries, the start excluded and the end included', () => {
  const at = (iso: string) => Date.parse(iso);
  const ticks = ticksBetween('*/20 * * * *', at('2026-01-01T00:40:00Z'), at('2026-01-01T01:20:00Z'));
  assert.equal(
    ticks.map((t) => new Date(t * 1000).toISOString().slice(11, 16)),
    ['01:00', '01:20'],
  );
  assert.equal(ticksBetween('0 0 1 1 *', at('2026-01-01T00:00:01Z'), at('2026-01-01T05:00:00Z')), []);
});

test.run();

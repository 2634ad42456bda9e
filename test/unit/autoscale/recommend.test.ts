import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { recommend, type MetricReading } from '../../../protocol/autoscale/recommend.js';

/** Replicas that should each use 100 (of a metric's unit), using these. */
const using = (...values: number[]): MetricReading[] => values.map((value) => ({ value, target: 100 }));

test('replicas all measured, off target, ask for ceil(ratio x replicas)', () => {
  assert.equal(recommend({ current: 2, readings: using(200, 200), targetPerReplica: 100 }), { replicas: 4, percentOfTarget: 200 });
  assert.equal(recommend({ current: 4, readings: using(25, 25, 25, 25), targetPerReplica: 100 }), { replicas: 1, percentOfTarget: 25 });
  assert.equal(recommend({ current: 3, readings: using(150, 120, 180), targetPerReplica: 100 }), { replicas: 5, percentOfTarget: 150 }, 'ceil(1.5 x 3)');
  assert.equal(recommend({ current: 3, readings: using(50, 70, 40), targetPerReplica: 100 }), { replicas: 2, percentOfTarget: 160 / 3 }, 'ceil(0.533 x 3)');
});

test('a ratio within 10% of target, either way, holds the count; one past it moves', () => {
  assert.is(recommend({ current: 4, readings: using(109, 109, 109, 109), targetPerReplica: 100 })?.replicas, 4);
  assert.is(recommend({ current: 4, readings: using(91, 91, 91, 91), targetPerReplica: 100 })?.replicas, 4);
  assert.is(recommend({ current: 4, readings: using(105, 95, 100, 108), targetPerReplica: 100 })?.replicas, 4);
  assert.is(recommend({ current: 4, readings: using(112, 112, 112, 112), targetPerReplica: 100 })?.replicas, 5, 'ceil(1.12 x 4)');
  assert.is(recommend({ current: 4, readings: using(80, 80, 80, 80), targetPerReplica: 100 })?.replicas, 4, 'ceil(0.8 x 4) is 4 still');
  assert.is(recommend({ current: 10, readings: using(...Array<number>(10).fill(85)), targetPerReplica: 100 })?.replicas, 9, 'ceil(0.85 x 10)');
});

test('scaling up, a replica with no reading counts as using nothing: one at 200% of two holds at 2', () => {
  // Filled in: (200 + 0) / (100 + 100) = 1.0, within tolerance.
  assert.equal(recommend({ current: 2, readings: using(200), targetPerReplica: 100 }), { replicas: 2, percentOfTarget: 200 });
  // Filled in: (300 + 0) / 200 = 1.5, so ceil(1.5 x 2) = 3, not ceil(3 x 1) or ceil(3 x 2).
  assert.equal(recommend({ current: 2, readings: using(300), targetPerReplica: 100 }), { replicas: 3, percentOfTarget: 300 });
  // Filled in: (150 + 0 + 0) / 300 = 0.5, the move turned around: hold.
  assert.equal(recommend({ current: 3, readings: using(150), targetPerReplica: 100 }), { replicas: 3, percentOfTarget: 150 });
});

test('scaling down, a replica with no reading counts as on target', () => {
  // Filled in: (25 + 25 + 100 + 100) / 400 = 0.625, so ceil(0.625 x 4) = 3, not 1.
  assert.equal(recommend({ current: 4, readings: using(25, 25), targetPerReplica: 100 }), { replicas: 3, percentOfTarget: 25 });
  // Filled in: (50 + 100 + 100 + 100) / 400 = 0.875: within tolerance after all.
  assert.equal(recommend({ current: 4, readings: using(50), targetPerReplica: 100 }), { replicas: 4, percentOfTarget: 50 });
  // Filled in: (0 + 100) / 200 = 0.5, so ceil(0.5 x 2) = 1.
  assert.equal(recommend({ current: 2, readings: using(0), targetPerReplica: 100 }), { replicas: 1, percentOfTarget: 0 });
});

test('nothing measured, or no replicas to measure, recommends nothing', () => {
  assert.is(recommend({ current: 3, readings: [], targetPerReplica: 100 }), undefined);
  assert.is(recommend({ current: 0, readings: using(500), targetPerReplica: 100 }), undefined);
  assert.is(recommend({ current: 0, readings: [], targetPerReplica: 100 }), undefined);
});

/** A count, and readings for at most that many of its replicas, each at the same target. */
const scenario = (values: fc.Arbitrary<number>) =>
  fc.record({ current: fc.integer({ min: 1, max: 50 }), target: fc.double({ min: 0.001, max: 1e9, noNaN: true }) }).chain(({ current, target }) =>
    fc.record({
      current: fc.constant(current),
      target: fc.constant(target),
      factors: fc.array(values, { minLength: 1, maxLength: current }),
    }),
  );

test('the count never moves against the load: all above target never lowers it, all below never raises it, all on target holds it', () => {
  fc.assert(
    fc.property(scenario(fc.double({ min: 1.000001, max: 1000, noNaN: true })), ({ current, target, factors }) => {
      const readings = factors.map((f) => ({ value: f * target, target }));
      const r = recommend({ current, readings, targetPerReplica: target });
      assert.ok(r !== undefined && r.replicas >= current && Number.isInteger(r.replicas), `${JSON.stringify(r)} from ${current}`);
    }),
    { numRuns: 2_000 },
  );
  fc.assert(
    fc.property(scenario(fc.double({ min: 0, max: 0.999999, noNaN: true })), ({ current, target, factors }) => {
      const readings = factors.map((f) => ({ value: f * target, target }));
      const r = recommend({ current, readings, targetPerReplica: target });
      assert.ok(r !== undefined && r.replicas <= current && r.replicas >= 0 && Number.isInteger(r.replicas), `${JSON.stringify(r)} from ${current}`);
    }),
    { numRuns: 2_000 },
  );
  fc.assert(
    fc.property(scenario(fc.constant(1)), ({ current, target, factors }) => {
      const readings = factors.map(() => ({ value: target, target }));
      assert.equal(recommend({ current, readings, targetPerReplica: target }), { replicas: current, percentOfTarget: 100 });
    }),
    { numRuns: 1_000 },
  );
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { converged, convergedAt, convergedFor, duplicateSeconds, duplicateWindows, type Sample } from '../../../testnet/docker/scenario/timeline.js';

const settled = (atMs: number): Sample => ({ atMs, digests: ['3:a', '3:a'], liveMembers: [2, 2], duplicated: [], duplicatedOn: {}, missing: [], orphans: [] });
const twice = (atMs: number, ...slots: string[]): Sample => ({ ...settled(atMs), duplicated: slots });

test('converged: every node answers with one digest, sees every member, and each slot runs once', () => {
  assert.ok(converged(settled(0)));
  assert.not.ok(converged({ ...settled(0), digests: ['3:a', null] }));
  assert.not.ok(converged({ ...settled(0), digests: ['3:a', '4:b'] }));
  assert.not.ok(converged({ ...settled(0), liveMembers: [2, 1] }));
  assert.not.ok(converged({ ...settled(0), missing: ['w#0'] }));
  assert.not.ok(converged({ ...settled(0), orphans: ['w#3'] }));
  assert.not.ok(converged(twice(0, 'w#0')));
});

test('convergedAt: the start of the converged run that ends the samples, after the heal', () => {
  const samples = [settled(0), twice(500, 'w#0'), settled(1000), twice(1500, 'w#0'), settled(2000), settled(2500)];
  assert.is(convergedAt(samples, 400), 2000);
  assert.is(convergedFor(samples, 400), 2);
  assert.is(convergedAt(samples.slice(0, 4), 400), null);
  assert.is(convergedAt([settled(0), settled(500)], 300), 500, 'samples before the heal do not count');
});

test('duplicate windows: per slot from the first sample that saw it twice to the first that did not; seconds are their union', () => {
  const samples = [settled(0), twice(500, 'a'), twice(1000, 'a', 'b'), twice(1500, 'b'), settled(2000), twice(3000, 'a')];
  const windows = duplicateWindows(samples);
  assert.equal(windows, [
    { slot: 'a', fromMs: 500, toMs: 1500 },
    { slot: 'b', fromMs: 1000, toMs: 2000 },
    { slot: 'a', fromMs: 3000, toMs: 3000 },
  ]);
  assert.is(duplicateSeconds(windows), 1.5);
  assert.is(duplicateSeconds([]), 0);
});

test.run();

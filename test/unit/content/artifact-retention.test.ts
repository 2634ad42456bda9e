import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planRetention, type ArtifactRetention, type HeldArtifact } from '../../../protocol/content/artifact-retention.js';

const MIN = 60_000;
const policy: ArtifactRetention = { quotaBytes: 1_000, graceMs: 60 * MIN, minAgeMs: 2 * MIN };
const NOW = 1_000 * MIN;
const held = (id: string, sizeBytes: number, unusedMin: number): HeldArtifact => ({ id, sizeBytes, lastUsedAtMs: NOW - unusedMin * MIN });
const ids = (plan: { remove: HeldArtifact[] }): string[] => plan.remove.map((a) => a.id);

test('under its quota the store removes only what nothing names and has gone unused past the grace', () => {
  const plan = planRetention([held('old', 100, 61), held('recent', 100, 30), held('named-old', 100, 600)], new Set(['named-old']), NOW, policy);
  assert.equal(ids(plan), ['old']);
  assert.equal([plan.heldBytes, plan.fits], [200, true]);
});

test('over its quota the least recently used unnamed go first, until it fits, within the grace too', () => {
  const store = [held('a', 400, 10), held('b', 400, 20), held('c', 400, 5), held('d', 400, 30)];
  const plan = planRetention(store, new Set(['d']), NOW, policy);
  // 1,600 held: b (20 min) then a (10 min) go; d is named, and c is left once it fits.
  assert.equal(ids(plan), ['b', 'a']);
  assert.equal([plan.heldBytes, plan.fits], [800, true]);
});

test('a named artifact is never removed, nor one used within the minimum age, however full the store', () => {
  const plan = planRetention([held('named', 900, 600), held('just-pushed', 900, 1)], new Set(['named']), NOW, policy);
  assert.equal(ids(plan), []);
  assert.equal([plan.heldBytes, plan.fits], [1_800, false]);
});

test('room for an incoming artifact: the least recently used make way, or it does not fit', () => {
  const store = [held('a', 300, 10), held('b', 300, 20)];
  const fits = planRetention(store, new Set(), NOW, policy, 600);
  assert.equal([ids(fits), fits.fits], [['b'], true]);
  // No room would be enough: nothing is removed in vain, but what is past its grace still goes.
  const tooBig = planRetention([...store, held('stale', 100, 90)], new Set(), NOW, policy, 1_001);
  assert.equal([ids(tooBig), tooBig.fits, tooBig.heldBytes], [['stale'], false, 1_601]);
});

test('ties in last use go by id, so every sweep picks the same', () => {
  const plan = planRetention([held('y', 600, 10), held('x', 600, 10)], new Set(), NOW, policy);
  assert.equal(ids(plan), ['x']);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initialProbeState, observeProbe, probeDue, type ProbeSpec } from '../../../protocol/agent/probe.js';

const spec: ProbeSpec = { check: { kind: 'tcp', port: 80 }, initialDelayMs: 1_000, periodMs: 500, timeoutMs: 100, successThreshold: 2, failureThreshold: 3 };

const run = (role: 'liveness' | 'readiness', results: boolean[]): boolean[] => {
  let state = initialProbeState(role);
  return results.map((ok, i) => (state = observeProbe(state, spec, ok, ok ? null : 'refused', i * 500)).passing);
};

test('liveness passes until failureThreshold failures in a row, then needs successThreshold successes', () => {
  assert.equal(run('liveness', [false, false, true, false, false, false, true, true]), [true, true, true, true, true, false, false, true]);
});

test('readiness fails until successThreshold successes in a row', () => {
  assert.equal(run('readiness', [true, false, true, true, false]), [false, false, false, true, true]);
});

test('a probe waits out its initial delay, then runs once a period', () => {
  const fresh = initialProbeState('readiness');
  assert.is(probeDue(fresh, spec, 10_000, 10_999), false);
  assert.is(probeDue(fresh, spec, 10_000, 11_000), true);
  const ran = observeProbe(fresh, spec, true, null, 11_000);
  assert.is(probeDue(ran, spec, 10_000, 11_499), false);
  assert.is(probeDue(ran, spec, 10_000, 11_500), true);
});

test('the last failure message is kept until a success', () => {
  const failed = observeProbe(initialProbeState('liveness'), spec, false, 'connection refused', 0);
  assert.is(failed.lastMessage, 'connection refused');
  assert.is(observeProbe(failed, spec, true, null, 500).lastMessage, null);
});

test.run();

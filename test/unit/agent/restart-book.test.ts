import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultBackoff } from '../../../protocol/agent/backoff.js';
import { replicaName } from '../../../protocol/agent/replica.js';
import {
  attemptDue,
  emptyBook,
  forgetUndesired,
  recordExit,
  recordFor,
  recordRestart,
  recordRunning,
  recordStartFailure,
  type RestartBook,
} from '../../../protocol/agent/restart-book.js';
import { desiredReplica } from './fixtures.js';

const web = desiredReplica();
const name = replicaName(web);

const failTimes = (times: number, nowMs: number): RestartBook => {
  let book = emptyBook;
  for (let i = 0; i < times; i++) book = recordStartFailure(book, web, 'pull access denied', nowMs, defaultBackoff);
  return book;
};

test('a replica the book has never seen starts with no restarts, no failures and no wait', () => {
  assert.equal(recordFor(emptyBook, web), {
    epoch: 1,
    specVersion: 'v1',
    restarts: 0,
    nextAttemptAtMs: null,
    startFailures: 0,
    failedStartsHere: 0,
    lastError: null,
    firstRunningAtMs: null,
  });
});

test('each start failure doubles the wait before the next attempt and keeps the error', () => {
  const waits = [1, 2, 3].map((n) => failTimes(n, 50_000)[name]?.nextAttemptAtMs);
  assert.equal(waits, [51_000, 52_000, 54_000]);
  assert.is(failTimes(3, 0)[name]?.startFailures, 3);
  assert.is(failTimes(1, 0)[name]?.lastError, 'pull access denied');
});

test('a new epoch is a new placement: failures, restarts and the first run are forgotten', () => {
  const running = { ...recordRunning(recordFor(emptyBook, web), { startedAtMs: 5 }, 10, defaultBackoff), restarts: 4 };
  const next = recordFor({ [name]: running }, desiredReplica({ epoch: 2 }));
  assert.is(next.epoch, 2);
  assert.is(next.restarts, 0);
  assert.is(next.firstRunningAtMs, null);
});

test('a new spec drops the old spec’s failures but keeps when the placement first ran', () => {
  const book = { [name]: { ...recordFor(failTimes(2, 0), web), firstRunningAtMs: 7, restarts: 3 } };
  const next = recordFor(book, desiredReplica({ specVersion: 'v2' }));
  assert.equal([next.specVersion, next.startFailures, next.restarts, next.lastError, next.firstRunningAtMs], ['v2', 0, 0, null, 7]);
});

test('forgetting keeps the replicas still desired, and one whose starts failed here until its longest wait is over', () => {
  const other = desiredReplica({ slot: 1 });
  const book = recordStartFailure(failTimes(1, 0), other, 'x', 0, defaultBackoff);
  assert.equal(Object.keys(forgetUndesired(book, [other], 1_000, defaultBackoff)), [name, replicaName(other)]);
  assert.equal(Object.keys(forgetUndesired(book, [other], 1_000 + defaultBackoff.maxMs, defaultBackoff)), [replicaName(other)]);
  const ran = { [name]: recordRunning(recordFor(emptyBook, web), { startedAtMs: 0 }, 0, defaultBackoff) };
  assert.equal(Object.keys(forgetUndesired(ran, [], 0, defaultBackoff)), []);
});

test('a slot given back after failed starts and placed here again keeps backing off: a new epoch does not start the wait over', () => {
  const again = desiredReplica({ epoch: 2 });
  const next = recordFor(failTimes(3, 0), again);
  // Three failures on epoch 1 (waits 1, 2, 4 s); epoch 2 waits for the third wait's end, and its own first failure waits 8 s.
  assert.equal([next.epoch, next.startFailures, next.failedStartsHere, next.nextAttemptAtMs, next.lastError], [2, 0, 3, 4_000, 'pull access denied']);
  const failedAgain = recordStartFailure({ [name]: next }, again, 'pull access denied', 4_000, defaultBackoff)[name];
  assert.equal([failedAgain?.startFailures, failedAgain?.nextAttemptAtMs], [1, 12_000]);
  // A new spec may be the fix: it starts over.
  assert.is(recordFor(failTimes(3, 0), desiredReplica({ epoch: 2, specVersion: 'v2' })).nextAttemptAtMs, null);
});

test('seen running, a replica clears its failures and wait, and its first run is fixed once', () => {
  const failed = recordFor(failTimes(2, 0), web);
  const first = recordRunning(failed, { startedAtMs: 100 }, 200, defaultBackoff);
  assert.equal([first.startFailures, first.nextAttemptAtMs, first.lastError, first.firstRunningAtMs], [0, null, null, 100]);
  const later = recordRunning(recordRestart(first), { startedAtMs: 900 }, 1_000, defaultBackoff);
  assert.is(later.firstRunningAtMs, 100);
});

test('a replica up for the reset period starts its restart count again', () => {
  const restarted = { ...recordFor(emptyBook, web), restarts: 6 };
  assert.is(recordRunning(restarted, { startedAtMs: 0 }, defaultBackoff.resetAfterMs - 1, defaultBackoff).restarts, 6);
  assert.is(recordRunning(restarted, { startedAtMs: 0 }, defaultBackoff.resetAfterMs, defaultBackoff).restarts, 0);
});

test('an exit sets its wait once, counted from when the replica finished', () => {
  const record = { ...recordFor(emptyBook, web), restarts: 2 };
  const exited = recordExit(record, { startedAtMs: 0, finishedAtMs: 1_000 }, 1_500, defaultBackoff);
  assert.is(exited.nextAttemptAtMs, 5_000);
  assert.is(recordExit(exited, { startedAtMs: 0, finishedAtMs: 1_000 }, 3_000, defaultBackoff).nextAttemptAtMs, 5_000);
  assert.not.ok(attemptDue(exited, 4_999));
  assert.ok(attemptDue(exited, 5_000));
});

test('an exit with no finish time waits from the pass that first saw it', () => {
  const exited = recordExit(recordFor(emptyBook, web), {}, 42_000, defaultBackoff);
  assert.is(exited.nextAttemptAtMs, 43_000);
  assert.is(recordExit(exited, {}, 42_900, defaultBackoff).nextAttemptAtMs, 43_000, 'the wait does not slide with each pass');
});

test('a restart that failed to start waits its start back-off, not the exit’s', () => {
  const afterExit = recordRestart(recordExit(recordFor(emptyBook, web), { finishedAtMs: 0 }, 0, defaultBackoff));
  const book = recordStartFailure({ [name]: afterExit }, web, 'no such image', 10_000, defaultBackoff);
  const record = recordFor(book, web);
  assert.is(recordExit(record, { finishedAtMs: 0 }, 10_000, defaultBackoff).nextAttemptAtMs, 11_000);
});

test('an exit after a long run waits the initial delay, the count started over', () => {
  const record = { ...recordFor(emptyBook, web), restarts: 9 };
  const exited = recordExit(record, { startedAtMs: 0, finishedAtMs: defaultBackoff.resetAfterMs }, defaultBackoff.resetAfterMs, defaultBackoff);
  assert.is(exited.restarts, 0);
  assert.is(exited.nextAttemptAtMs, defaultBackoff.resetAfterMs + defaultBackoff.initialMs);
});

test('a restart spends the wait and adds one to the count', () => {
  const exited = recordExit(recordFor(emptyBook, web), { finishedAtMs: 0 }, 0, defaultBackoff);
  const restarted = recordRestart(exited);
  assert.equal([restarted.restarts, restarted.nextAttemptAtMs], [1, null]);
});

test('the book survives a JSON round trip unchanged', () => {
  const book = failTimes(2, 10);
  assert.equal(JSON.parse(JSON.stringify(book)), book);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultBackoff } from '../../../protocol/agent/backoff.js';
import { maxStartFailures, reconcile, type AgentAction, type ReconcileInput, type ReconcileResult } from '../../../protocol/agent/reconcile.js';
import { replicaName, type DesiredReplica, type ObservedReplica } from '../../../protocol/agent/replica.js';
import { emptyBook, recordFor, recordStartFailure, type RestartBook } from '../../../protocol/agent/restart-book.js';
import { desiredReplica, NODE, observedReplica, undefinedPaths } from './fixtures.js';

const pass = (over: Partial<ReconcileInput>): ReconcileResult =>
  reconcile({ desired: [], observed: [], book: emptyBook, nowMs: 100_000, backoff: defaultBackoff, node: NODE, ...over });

const web = desiredReplica();
const describe = (a: AgentAction): string => (a.kind === 'remove' ? `remove ${a.id} ${a.reason}` : a.kind === 'restart' ? `restart ${a.id}` : `start ${replicaName(a.replica)}`);
const kinds = (r: ReconcileResult): string[] => r.actions.map(describe);
const only = <T>(items: readonly T[]): T => {
  assert.is(items.length, 1);
  return items[0] as T;
};

const withRestarts = (restarts: number): RestartBook => ({ [replicaName(web)]: { ...recordFor(emptyBook, web), restarts } });

/** Exited replica `c1` seen on each pass at `nowMs`, the book carried from one pass to the next. */
function exitedPasses(desired: DesiredReplica, exited: Partial<ObservedReplica>, times: number[], book: RestartBook = emptyBook): ReconcileResult[] {
  const results: ReconcileResult[] = [];
  for (const nowMs of times) {
    const result = pass({ desired: [desired], observed: [observedReplica('c1', { state: 'exited', ...exited })], book, nowMs });
    results.push(result);
    book = result.book;
  }
  return results;
}

test('a desired replica with nothing observed is started and reported pending', () => {
  const result = pass({ desired: [web] });
  assert.equal(result.actions, [{ kind: 'start', replica: web }]);
  assert.is(only(result.statuses).state, 'pending');
});

test('a running replica that matches its placement is left alone and reported running', () => {
  const result = pass({ desired: [web], observed: [observedReplica('c1', { address: '10.0.0.5', hostPorts: [8080] })] });
  assert.equal(result.actions, []);
  assert.equal(only(result.statuses), {
    workload: web.workload,
    slot: 0,
    epoch: 1,
    node: NODE,
    specVersion: 'v1',
    state: 'running',
    restarts: 0,
    address: '10.0.0.5',
    hostPorts: [8080],
    startedAtMs: 1_000,
    firstRunningAtMs: 1_000,
    permanentFailure: false,
  });
});

test('a replica no placement asks for is removed as an orphan, and gets no status', () => {
  const result = pass({ observed: [observedReplica('c9', { workload: 'Workload/default/gone' })] });
  assert.equal(kinds(result), ['remove c9 orphan']);
  assert.equal(result.statuses, []);
});

test('a replica of an older epoch is an orphan, and the new epoch is started beside its removal', () => {
  const result = pass({ desired: [desiredReplica({ epoch: 2 })], observed: [observedReplica('old', { epoch: 1 })] });
  assert.equal(kinds(result), ['remove old orphan', `start ${replicaName(web)}`]);
});

test('of several copies the running one is kept over an exited one that started earlier', () => {
  const result = pass({
    desired: [web],
    observed: [observedReplica('a', { state: 'exited', startedAtMs: 10, exitCode: 1 }), observedReplica('b', { startedAtMs: 50 })],
  });
  assert.equal(kinds(result), ['remove a duplicate']);
  assert.is(only(result.statuses).state, 'running');
});

test('of several running copies the earliest started is kept, then the smallest id', () => {
  const early = pass({ desired: [web], observed: [observedReplica('z', { startedAtMs: 10 }), observedReplica('a', { startedAtMs: 20 })] });
  assert.equal(kinds(early), ['remove a duplicate']);
  const tie = pass({ desired: [web], observed: [observedReplica('z'), observedReplica('m'), observedReplica('a')] });
  assert.equal(kinds(tie), ['remove m duplicate', 'remove z duplicate']);
});

test('a replica of another spec version is removed and the new spec started in the same pass', () => {
  const result = pass({ desired: [desiredReplica({ specVersion: 'v2' })], observed: [observedReplica('c1', { specVersion: 'v1' })] });
  assert.equal(kinds(result), ['remove c1 spec-changed', `start ${replicaName(web)}`]);
  assert.is(only(result.statuses).state, 'pending');
});

test('every removal comes before every start, so freed host ports are free for the starts', () => {
  const result = pass({
    desired: [desiredReplica({ workload: 'Workload/a/a' }), desiredReplica({ workload: 'Workload/z/z', specVersion: 'v2' })],
    observed: [observedReplica('c1', { workload: 'Workload/z/z' }), observedReplica('c2', { workload: 'Workload/m/m' })],
  });
  assert.equal(kinds(result), ['remove c2 orphan', 'remove c1 spec-changed', 'start Workload/a/a#0', 'start Workload/z/z#0']);
});

test('a created replica that never ran is started in place, without counting a restart', () => {
  const result = pass({ desired: [web], observed: [observedReplica('c1', { state: 'created' })] });
  assert.equal(kinds(result), ['restart c1']);
  assert.is(only(result.statuses).restarts, 0);
});

test('after a start failure the next start waits for the back-off, then goes out', () => {
  const book = recordStartFailure(emptyBook, web, 'image not found', 100_000, defaultBackoff);
  const waiting = pass({ desired: [web], book, nowMs: 100_999 });
  assert.equal(waiting.actions, []);
  assert.equal([only(waiting.statuses).state, only(waiting.statuses).message], ['backoff', 'image not found']);
  const due = pass({ desired: [web], book: waiting.book, nowMs: 101_000 });
  assert.equal(kinds(due), [`start ${replicaName(web)}`]);
});

test('a created replica whose start failed also waits for the back-off', () => {
  const book = recordStartFailure(emptyBook, web, 'port is already allocated', 100_000, defaultBackoff);
  const result = pass({ desired: [web], observed: [observedReplica('c1', { state: 'created' })], book, nowMs: 100_500 });
  assert.equal(result.actions, []);
  assert.is(only(result.statuses).state, 'backoff');
});

test(`${maxStartFailures} consecutive start failures mark the replica a permanent failure here, two do not`, () => {
  let book = emptyBook;
  const permanent: boolean[] = [];
  for (let failures = 1; failures <= maxStartFailures; failures++) {
    book = recordStartFailure(book, web, 'image not found', 0, defaultBackoff);
    permanent.push(only(pass({ desired: [web], book, nowMs: 0 }).statuses).permanentFailure);
  }
  assert.equal(permanent, [false, false, true]);
});

test('seen running again, a replica is no longer a permanent failure', () => {
  let book = emptyBook;
  for (let i = 0; i < maxStartFailures; i++) book = recordStartFailure(book, web, 'image not found', 0, defaultBackoff);
  const result = pass({ desired: [web], observed: [observedReplica('c1')], book });
  assert.equal([only(result.statuses).permanentFailure, only(result.statuses).message], [false, undefined]);
});

test('restart policy always: an exit, even a clean one, is restarted once its back-off has passed', () => {
  const [early, due] = exitedPasses(web, { exitCode: 0, startedAtMs: 90_000, finishedAtMs: 100_000 }, [100_500, 101_000]);
  assert.equal(early?.actions, []);
  assert.is(early && only(early.statuses).state, 'backoff');
  assert.equal(due && kinds(due), ['restart c1']);
  assert.is(due && only(due.statuses).restarts, 1);
});

test('the back-off doubles with each restart, and one exit is counted once however many passes see it', () => {
  const exit = { exitCode: 1, startedAtMs: 99_000, finishedAtMs: 100_000 };
  const first = exitedPasses(web, exit, [100_200, 100_400, 101_000]);
  assert.equal(
    first.map((r) => r.actions.length),
    [0, 0, 1],
  );
  const again = { exitCode: 1, startedAtMs: 101_000, finishedAtMs: 101_500 };
  const second = exitedPasses(web, again, [103_000, 103_499, 103_500], first[2]?.book);
  assert.equal(
    second.map((r) => r.actions.length),
    [0, 0, 1],
  );
  assert.is(second[2] && only(second[2].statuses).restarts, 2);
});

test('a replica that ran past the reset period before exiting waits only the initial delay', () => {
  const book = withRestarts(8);
  const finishedAtMs = 1_000 + defaultBackoff.resetAfterMs;
  const [result] = exitedPasses(web, { exitCode: 1, startedAtMs: 1_000, finishedAtMs }, [finishedAtMs + defaultBackoff.initialMs], book);
  assert.equal(result && kinds(result), ['restart c1']);
  assert.is(result && only(result.statuses).restarts, 1);
});

test('a replica running past the reset period reports its restart count started over', () => {
  const book = withRestarts(5);
  const observed = [observedReplica('c1', { startedAtMs: 0 })];
  assert.is(only(pass({ desired: [web], observed, book, nowMs: defaultBackoff.resetAfterMs - 1 }).statuses).restarts, 5);
  assert.is(only(pass({ desired: [web], observed, book, nowMs: defaultBackoff.resetAfterMs }).statuses).restarts, 0);
});

test('restart policy on-failure: a clean exit is completed and left alone', () => {
  const result = pass({ desired: [desiredReplica({}, 'on-failure')], observed: [observedReplica('c1', { state: 'exited', exitCode: 0 })] });
  assert.equal(result.actions, []);
  assert.equal([only(result.statuses).state, only(result.statuses).permanentFailure], ['completed', false]);
});

test('restart policy on-failure: a non-zero or unknown exit code is restarted after the back-off', () => {
  for (const exitCode of [137, undefined]) {
    const [waiting, due] = exitedPasses(desiredReplica({}, 'on-failure'), { exitCode, finishedAtMs: 100_000 }, [100_000, 101_000]);
    assert.equal(waiting?.actions, [], `exit ${exitCode}`);
    assert.equal(due && kinds(due), ['restart c1'], `exit ${exitCode}`);
  }
});

test('restart policy never: a clean exit is completed, not a failure', () => {
  const result = pass({ desired: [desiredReplica({}, 'never')], observed: [observedReplica('c1', { state: 'exited', exitCode: 0 })] });
  assert.equal(result.actions, []);
  const { state, permanentFailure, exitCode } = only(result.statuses);
  assert.equal([state, permanentFailure, exitCode], ['completed', false, 0]);
});

test('restart policy never: a failed exit is left alone and marked a permanent failure', () => {
  for (const exitCode of [1, undefined]) {
    const result = pass({ desired: [desiredReplica({}, 'never')], observed: [observedReplica('c1', { state: 'exited', exitCode })] });
    assert.equal(result.actions, [], `exit ${exitCode}`);
    assert.equal([only(result.statuses).state, only(result.statuses).permanentFailure], ['failed', true], `exit ${exitCode}`);
  }
});

test('the first run of a placement is kept across restarts of its replica', () => {
  const seen = pass({ desired: [web], observed: [observedReplica('c1', { startedAtMs: 5_000 })], nowMs: 6_000 });
  const [, restarted] = exitedPasses(web, { exitCode: 1, startedAtMs: 5_000, finishedAtMs: 7_000 }, [7_000, 8_000], seen.book);
  const again = pass({ desired: [web], observed: [observedReplica('c1', { startedAtMs: 8_000 })], book: restarted?.book, nowMs: 9_000 });
  assert.is(only(again.statuses).firstRunningAtMs, 5_000);
  assert.is(only(again.statuses).startedAtMs, 8_000);
});

test('a new epoch reports the first run of its own replica, not the old placement’s', () => {
  const seen = pass({ desired: [web], observed: [observedReplica('c1', { startedAtMs: 5_000 })], nowMs: 6_000 });
  const moved = desiredReplica({ epoch: 2 });
  const started = pass({ desired: [moved], book: seen.book, nowMs: 7_000 });
  assert.is(only(started.statuses).firstRunningAtMs, undefined);
  const running = pass({ desired: [moved], observed: [observedReplica('c2', { epoch: 2, startedAtMs: 7_500 })], book: started.book, nowMs: 8_000 });
  assert.is(only(running.statuses).firstRunningAtMs, 7_500);
});

test('the book forgets replicas no longer desired', () => {
  const seen = pass({ desired: [web], observed: [observedReplica('c1')] });
  assert.equal(Object.keys(seen.book), [replicaName(web)]);
  assert.equal(pass({ book: seen.book, observed: [observedReplica('c1')] }).book, {});
});

test('statuses hold no undefined values, whatever the runtime left out', () => {
  const sparse = (id: string, over: Partial<ObservedReplica>): ObservedReplica => ({
    ...observedReplica(id, over),
    startedAtMs: undefined,
    exitCode: undefined,
    finishedAtMs: undefined,
    address: undefined,
  });
  const result = pass({
    desired: [0, 1, 2, 3].map((slot) => desiredReplica({ slot }, 'never')),
    observed: [sparse('a', { slot: 0 }), sparse('b', { slot: 1, state: 'exited' }), sparse('c', { slot: 2, state: 'created' })],
  });
  assert.equal(undefinedPaths(result.statuses), []);
  assert.equal(JSON.parse(JSON.stringify(result.statuses)), result.statuses);
});

test('statuses come sorted by replica name, whatever order the placements came in', () => {
  const result = pass({ desired: [desiredReplica({ slot: 2 }), desiredReplica({ workload: 'Workload/a/a' }), desiredReplica({ slot: 1 })] });
  assert.equal(result.statuses.map(replicaName), ['Workload/a/a#0', `${web.workload}#1`, `${web.workload}#2`]);
});

test('two placements for one slot: the later epoch is run and the earlier one’s replica is an orphan', () => {
  const result = pass({ desired: [desiredReplica({ epoch: 3 }), desiredReplica({ epoch: 2 })], observed: [observedReplica('c1', { epoch: 2 })] });
  assert.equal(kinds(result), ['remove c1 orphan', `start ${replicaName(web)}`]);
  assert.is(only(result.statuses).epoch, 3);
});

test.run();

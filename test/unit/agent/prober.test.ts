import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Prober } from '../../../node/agent/prober.js';
import type { ContainerRuntime, ExecResult } from '../../../node/agent/runtime.js';
import type { ProbeSpec } from '../../../protocol/agent/probe.js';
import type { ObservedReplica } from '../../../protocol/agent/replica.js';
import { desiredReplica, observedReplica, replicaStatus } from './fixtures.js';

const readiness: ProbeSpec = {
  check: { kind: 'exec', command: ['test', '-f', '/tmp/ready'] },
  initialDelayMs: 0,
  periodMs: 300,
  timeoutMs: 1_000,
  successThreshold: 1,
  failureThreshold: 3,
};

/** A runtime whose exec probes stay in flight until the test answers them, as a slow Docker exec does. */
class SlowExec {
  private readonly pending: { id: string; answer: (r: ExecResult) => void }[] = [];

  readonly runtime: ContainerRuntime = {
    kind: 'docker',
    exec: (id) => new Promise((answer) => this.pending.push({ id, answer })),
    list: () => Promise.reject(new Error('not used by the prober')),
    start: () => Promise.reject(new Error('not used by the prober')),
    restart: () => Promise.reject(new Error('not used by the prober')),
    stop: () => Promise.reject(new Error('not used by the prober')),
    remove: () => Promise.reject(new Error('not used by the prober')),
    logs: () => {
      throw new Error('not used by the prober');
    },
    serviceNetwork: () => Promise.reject(new Error('not used by the prober')),
    usage: () => Promise.reject(new Error('not used by the prober')),
    close: () => Promise.resolve(),
  };

  /** Waits until a probe of `id` is in flight. */
  async started(id: string): Promise<void> {
    for (let waited = 0; !this.pending.some((p) => p.id === id); waited += 10) {
      if (waited > 2_000) throw new Error(`no probe of ${id} started within 2 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Answers the in-flight probe of `id` as passing, and lets its result land. */
  async pass(id: string): Promise<void> {
    await this.answer(id, { exitCode: 0, stdout: '', stderr: '' });
  }

  /** Answers the in-flight probe of `id` as failing with `stderr`, and lets its result land. */
  async fail(id: string, stderr: string): Promise<void> {
    await this.answer(id, { exitCode: 1, stdout: '', stderr });
  }

  private async answer(id: string, result: ExecResult): Promise<void> {
    const i = this.pending.findIndex((p) => p.id === id);
    this.pending.splice(i, 1)[0]?.answer(result);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A prober whose agent passes (track) the test drives; `changed` runs the pass a verdict change asks for, as the agent does. */
function setUp(replicas: ObservedReplica[]): { exec: SlowExec; prober: Prober; pass: (now?: ObservedReplica[]) => void; changes: () => number } {
  const exec = new SlowExec();
  let changes = 0;
  let current = replicas;
  // Each pass hands over what the runtime lists: new objects every time.
  const pass = (now = current): void => {
    current = now;
    prober.track(now.map((o) => ({ observed: { ...o }, desired: desiredReplica({ slot: o.slot, spec: { ...desiredReplica().spec, readiness } }) })));
  };
  const prober = new Prober(exec.runtime, {
    unhealthy: () => assert.unreachable('no liveness probe here'),
    changed: () => {
      changes += 1;
      pass();
    },
  });
  pass();
  prober.start();
  return { exec, prober, pass, changes: () => changes };
}

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('the prober keeps a timer only while some replica has a probe', async () => {
  const before = timers();
  const { exec, prober, pass } = setUp([]);
  try {
    assert.is(timers(), before, 'started with nothing to probe: no timer');
    pass([observedReplica('c1')]);
    await exec.started('c1');
    assert.is(timers(), before + 1);
    pass([]);
    assert.is(timers(), before, 'the last probed replica gone: the timer too');
  } finally {
    prober.stop();
  }
  assert.is(timers(), before);
});

test('a probe result lands though agent passes replace the tracked replicas while it runs', async () => {
  const { exec, prober, pass, changes } = setUp([observedReplica('c1')]);
  try {
    await exec.started('c1');
    pass();
    pass();
    await exec.pass('c1');
    assert.equal([...prober.readyIds()], ['c1']);
    assert.is(changes(), 1);
  } finally {
    prober.stop();
  }
});

test("one replica's verdict change, and the pass it causes, keeps the other replicas' probes in flight", async () => {
  const { exec, prober } = setUp([observedReplica('c1'), observedReplica('c2', { slot: 1 })]);
  try {
    await exec.started('c1');
    await exec.started('c2');
    await exec.pass('c1');
    await exec.pass('c2');
    assert.equal([...prober.readyIds()].sort(), ['c1', 'c2']);
  } finally {
    prober.stop();
  }
});

test('a result for a replica that restarted since its probe began is dropped: the new run starts unready', async () => {
  const { exec, prober, pass } = setUp([observedReplica('c1')]);
  try {
    await exec.started('c1');
    pass([observedReplica('c1', { startedAtMs: 2_000 })]);
    await exec.pass('c1');
    assert.equal([...prober.readyIds()], []);
  } finally {
    prober.stop();
  }
});

test('a result for a replica whose spec changed since its probe began is dropped', async () => {
  const { exec, prober, pass } = setUp([observedReplica('c1')]);
  try {
    await exec.started('c1');
    pass([observedReplica('c1', { specVersion: 'v2' })]);
    await exec.pass('c1');
    assert.equal([...prober.readyIds()], []);
  } finally {
    prober.stop();
  }
});

test("a replica not ready says why its readiness probe failed, in words its probe's output does not change", async () => {
  const { exec, prober } = setUp([observedReplica('c1')]);
  try {
    await exec.started('c1');
    await exec.fail('c1', 'first try at 12:00:01');
    const first = prober.health(replicaStatus());
    assert.is(first.ready, false);
    assert.is(first.message, 'readiness probe failed: exec test -f /tmp/ready: exit 1');
    await exec.started('c1');
    await exec.fail('c1', 'second try at 12:00:02');
    // A status is written whenever it changes: output in it would write one every period.
    assert.equal(prober.health(replicaStatus()), first);
    const status = replicaStatus({ message: 'started after 2 failures: no such image' });
    assert.is({ ...status, ...prober.health(status) }.message, status.message, "the status's own message comes first");
    await exec.started('c1');
    await exec.pass('c1');
    assert.equal(prober.health(replicaStatus()), { ready: true, probes: { readiness: 'passing' } });
  } finally {
    prober.stop();
  }
});

test.run();

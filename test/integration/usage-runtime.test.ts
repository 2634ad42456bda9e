import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessRuntime } from '../../node/agent/process-runtime.js';
import type { ReplicaOwner, ReplicaUsageSample } from '../../node/agent/runtime.js';
import type { DesiredReplica } from '../../protocol/agent/replica.js';
import { poll } from '../../testnet/poll.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-usage-runtime-'));
const owner: ReplicaOwner = { cluster: 'cluster-usage', node: 'node-a' };
const runtime = new ProcessRuntime({ dir, log: pino({ level: 'silent' }) });
const started: string[] = [];

const replica = (slot: number, command: string[]): DesiredReplica => ({
  workload: 'Workload/default/burn',
  slot,
  epoch: 1,
  specVersion: 'spec-1',
  spec: { image: 'ignored:1', command, env: {}, ports: [], restartPolicy: 'never', capabilities: [] },
});

const start = async (slot: number, command: string[]): Promise<string> => {
  const id = await runtime.start(replica(slot, command), owner);
  started.push(id);
  return id;
};

const of = (samples: ReplicaUsageSample[], id: string): ReplicaUsageSample | undefined => samples.find((s) => s.id === id);

test.after(async () => {
  await Promise.all(started.map((id) => runtime.remove(id, 1_000)));
  rmSync(dir, { recursive: true, force: true });
});

test('a replica that burns CPU in a grandchild uses more than an idle one; both hold memory; a stopped one is not sampled', async () => {
  // The loop runs in a subshell the command forks: only a sum over the process tree sees it.
  const busy = await start(0, ['sh', '-c', '(while :; do :; done) & wait']);
  const idle = await start(1, ['sleep', '300']);
  // Half a second of CPU: within a second on an idle machine, within the minute on a busy one.
  const samples = await poll(
    'the busy replica to have used half a second of CPU',
    async () => {
      const s = await runtime.usage(owner);
      return (of(s, busy)?.cpuNanos ?? 0) >= 0.5e9 ? s : undefined;
    },
    60_000,
  );
  const [b, i] = [of(samples, busy), of(samples, idle)];
  assert.ok(b !== undefined && i !== undefined);
  assert.ok(i.cpuNanos < b.cpuNanos / 2, `idle ${i.cpuNanos} ns, busy ${b.cpuNanos} ns`);
  assert.ok(b.memoryBytes > 0 && i.memoryBytes > 0, `memory ${b.memoryBytes}, ${i.memoryBytes}`);
  assert.equal([b.workload, b.slot, b.epoch], ['Workload/default/burn', 0, 1]);
  assert.ok(Math.abs(b.atMs - Date.now()) < 60_000);

  await runtime.stop(idle, 1_000);
  const after = await runtime.usage(owner);
  assert.equal(
    after.map((s) => s.id),
    [busy],
  );
  assert.equal(await runtime.usage({ ...owner, node: 'node-b' }), [], "another owner's replicas are not sampled");
});

test.run();

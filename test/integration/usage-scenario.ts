import * as assert from 'uvu/assert';
import type { ContainerRuntime, ReplicaOwner, ReplicaUsageSample } from '../../node/agent/runtime.js';
import type { DesiredReplica } from '../../protocol/agent/replica.js';
import { poll } from '../../testnet/poll.js';

/** A replica of `Workload/default/burn` in `slot`, running `command` from `image`. */
export const burnReplica = (image: string, slot: number, command: string[]): DesiredReplica => ({
  workload: 'Workload/default/burn',
  slot,
  epoch: 1,
  specVersion: 'spec-1',
  spec: { image, command, env: {}, ports: [], restartPolicy: 'never', capabilities: [] },
});

const of = (samples: ReplicaUsageSample[], id: string): ReplicaUsageSample | undefined => samples.find((s) => s.id === id);

/**
 * What every runtime's `usage` must show, whichever runtime: a replica running
 * `busyCommand` (slot 0) uses more CPU than an idle one (slot 1), both hold memory, a
 * stopped one is not sampled, and another owner's are not either. `start` starts a
 * replica and leaves its removal to the test.
 */
export async function busyAndIdleScenario(
  runtime: ContainerRuntime,
  owner: ReplicaOwner,
  start: (slot: number, command: string[]) => Promise<string>,
  busyCommand: string[],
): Promise<void> {
  const busy = await start(0, busyCommand);
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
  assert.equal([i.workload, i.slot, i.epoch], ['Workload/default/burn', 1, 1]);
  // The sampler's clock (for Docker, the engine's), on this host.
  assert.ok(Math.abs(b.atMs - Date.now()) < 60_000, `read at ${new Date(b.atMs).toISOString()}`);

  await runtime.stop(idle, 1_000);
  assert.equal(
    (await runtime.usage(owner)).map((s) => s.id),
    [busy],
  );
  assert.equal(await runtime.usage({ ...owner, node: 'node-b' }), [], "another owner's replicas are not sampled");
}

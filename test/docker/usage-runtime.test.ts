import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerRuntime } from '../../node/agent/docker-runtime.js';
import { LABEL } from '../../node/agent/labels.js';
import type { ReplicaOwner, ReplicaUsageSample } from '../../node/agent/runtime.js';
import type { DesiredReplica } from '../../protocol/agent/replica.js';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { poll } from '../../testnet/poll.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();
const it = docker === null ? test.skip : test;

// Unique per run, so that cleaning up can never touch another run's containers.
const cluster = `t${randomBytes(6).toString('hex')}`;
const network = `shoal-test-${cluster}`;
const owner: ReplicaOwner = { cluster, node: 'node-a' };
const runtime = new DockerRuntime({ docker: docker ?? undefined, network, log: pino({ level: 'silent' }) });
let image = '';

const replica = (slot: number, command: string[]): DesiredReplica => ({
  workload: 'Workload/default/burn',
  slot,
  epoch: 1,
  specVersion: 'spec-1',
  spec: { image, command, env: {}, ports: [], restartPolicy: 'never', capabilities: [] },
});

const of = (samples: ReplicaUsageSample[], id: string): ReplicaUsageSample | undefined => samples.find((s) => s.id === id);

const gone = (e: unknown): boolean => [404, 409].includes((e as { statusCode?: number }).statusCode ?? 0);

async function removeContainersOfThisRun(engine: Dockerode): Promise<void> {
  const containers = await engine.listContainers({ all: true, filters: { label: [`${LABEL.cluster}=${cluster}`] } });
  await Promise.all(
    containers.map((c) =>
      engine
        .getContainer(c.Id)
        .remove({ force: true })
        .catch((e: unknown) => {
          if (!gone(e)) throw e;
        }),
    ),
  );
}

test.before(async () => {
  if (docker !== null) image = await ensureBusyboxImage(docker);
});

test.after(async () => {
  if (docker === null) return;
  await removeContainersOfThisRun(docker);
  await docker
    .getNetwork(network)
    .remove()
    .catch((e: unknown) => {
      if (!gone(e)) throw e;
    });
});

it('a container that burns CPU uses more than an idle one; both hold memory; a stopped one is not sampled', async () => {
  const busy = await runtime.start(replica(0, ['sh', '-c', 'while :; do :; done']), owner);
  const idle = await runtime.start(replica(1, ['sleep', '300']), owner);
  // Half a second of CPU: within a second on an idle machine, within the minute on a busy one.
  const samples = await poll(
    'the busy container to have used half a second of CPU',
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
  assert.equal([i.workload, i.slot, i.epoch], ['Workload/default/burn', 1, 1]);
  // The engine's clock, on this host.
  assert.ok(Math.abs(b.atMs - Date.now()) < 60_000, `read at ${new Date(b.atMs).toISOString()}`);

  await runtime.stop(busy, 1_000);
  assert.equal(
    (await runtime.usage(owner)).map((s) => s.id),
    [idle],
  );
  assert.equal(await runtime.usage({ ...owner, node: 'node-b' }), [], "another owner's containers are not sampled");
});

test.run();

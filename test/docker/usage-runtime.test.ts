import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import { pino } from 'pino';
import { test } from 'uvu';
import { DockerRuntime } from '../../node/agent/docker-runtime.js';
import { LABEL } from '../../node/agent/labels.js';
import type { ReplicaOwner } from '../../node/agent/runtime.js';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { burnReplica, busyAndIdleScenario } from '../integration/usage-scenario.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();
const it = docker === null ? test.skip : test;

// Unique per run, so that cleaning up can never touch another run's containers.
const cluster = `t${randomBytes(6).toString('hex')}`;
const network = `shoal-test-${cluster}`;
const owner: ReplicaOwner = { cluster, node: 'node-a' };
const runtime = new DockerRuntime({ docker: docker ?? undefined, network, log: pino({ level: 'silent' }) });
let image = '';

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
  // The test's after hook removes every container of this run's cluster.
  await busyAndIdleScenario(runtime, owner, (slot, command) => runtime.start(burnReplica(image, slot, command), owner), ['sh', '-c', 'while :; do :; done']);
});

test.run();

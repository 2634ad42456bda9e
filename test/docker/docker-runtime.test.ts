import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import Dockerode from 'dockerode';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerRuntime } from '../../node/agent/docker-runtime.js';
import { LABEL } from '../../node/agent/labels.js';
import { ImageUnavailableError, StartHeldError, type ReplicaOwner } from '../../node/agent/runtime.js';
import type { ContainerSpec, DesiredReplica, ObservedReplica } from '../../protocol/agent/replica.js';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();
const it = docker === null ? test.skip : test;

// Unique per run, so that cleaning up can never touch another run's containers.
const cluster = `t${randomBytes(6).toString('hex')}`;
const network = `shoal-test-${cluster}`;
const owner: ReplicaOwner = { cluster, node: 'node-a' };
const log = pino({ level: 'silent' });
const runtime = new DockerRuntime({ docker: docker ?? undefined, network, log });
let image = '';

function replica(slot: number, spec: Partial<ContainerSpec> = {}): DesiredReplica {
  return {
    workload: 'Workload/default/web',
    slot,
    epoch: 2,
    specVersion: 'spec-1',
    spec: { image, command: ['sleep', '300'], env: {}, ports: [], restartPolicy: 'always', capabilities: [], ...spec },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const listed = async (id: string, by: ReplicaOwner = owner): Promise<ObservedReplica | undefined> => (await runtime.list(by)).find((r) => r.id === id);

const gone = (e: unknown): boolean => [404, 409].includes((e as { statusCode?: number }).statusCode ?? 0);

/** Every container of this run, whichever owner (node or cluster) a test gave it. */
async function removeContainersOfThisRun(engine: Dockerode): Promise<void> {
  const containers = await engine.listContainers({ all: true, filters: { label: [LABEL.cluster] } });
  const ours = containers.filter((c) => c.Labels[LABEL.cluster]?.startsWith(cluster));
  await Promise.all(
    ours.map((c) =>
      engine
        .getContainer(c.Id)
        .remove({ force: true })
        .catch((e: unknown) => {
          if (!gone(e)) throw e;
        }),
    ),
  );
}

async function listeningServer(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return server;
}

const portOf = (server: Server): number => (server.address() as { port: number }).port;

test.before(async () => {
  if (docker !== null) image = await ensureBusyboxImage(docker);
});

test.after.each(async () => {
  if (docker !== null) await removeContainersOfThisRun(docker);
});

test.after(async () => {
  if (docker !== null)
    await docker
      .getNetwork(network)
      .remove()
      .catch((e: unknown) => {
        if (!gone(e)) throw e;
      });
});

it('a started replica is listed as running with its identity and an address on the network', async () => {
  const before = Date.now();
  const id = await runtime.start(replica(0), owner);
  const observed = await listed(id);
  assert.ok(observed);
  assert.equal(
    { workload: observed.workload, slot: observed.slot, epoch: observed.epoch, specVersion: observed.specVersion, state: observed.state },
    { workload: 'Workload/default/web', slot: 0, epoch: 2, specVersion: 'spec-1', state: 'running' },
  );
  assert.is(observed.exitCode, undefined);
  assert.ok(observed.startedAtMs !== undefined && observed.startedAtMs >= before - 1_000);
  assert.match(observed.address ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  const info = await docker!.getContainer(id).inspect();
  assert.match(info.Name, new RegExp(`^/shoal-${cluster.slice(0, 8)}-web-0-2-[0-9a-f]{6}$`));
  assert.ok(info.NetworkSettings.Networks[network], 'joined the runtime network');
});

it('a replicas network removed under the runtime (docker network prune) is made again, and the start succeeds', async () => {
  await runtime.start(replica(0), owner);
  // after.each has removed that replica's container: nothing holds the network now.
  await removeContainersOfThisRun(docker as Dockerode);
  await (docker as Dockerode).getNetwork(network).remove();
  const id = await runtime.start(replica(1), owner);
  assert.is((await listed(id))?.state, 'running');
});

it('a second runtime instance, as after an agent restart, finds the same containers', async () => {
  const ids = [await runtime.start(replica(0), owner), await runtime.start(replica(1), owner)];
  const restarted = new DockerRuntime({ docker: new Dockerode(), network, log });
  const found = await restarted.list(owner);
  assert.equal(found.map((r) => r.id).sort(), [...ids].sort());
  assert.equal(found.map((r) => r.slot).sort(), [0, 1]);
});

it('limits, dropped capabilities, no-new-privileges and an init are set on the container', async () => {
  const spec = { cpuMillis: 250, memoryBytes: 64 * 1024 * 1024, capabilities: ['NET_BIND_SERVICE'], env: { GREETING: 'hi' } };
  const id = await runtime.start(replica(0, spec), owner);
  const { HostConfig: host, Config: config } = await docker!.getContainer(id).inspect();
  assert.is(host.NanoCpus, 250_000_000);
  assert.is(host.Memory, 64 * 1024 * 1024);
  assert.equal(host.CapDrop, ['ALL']);
  assert.equal(
    (host.CapAdd as string[]).map((c) => c.replace(/^CAP_/, '')),
    ['NET_BIND_SERVICE'],
  );
  assert.equal(host.SecurityOpt, ['no-new-privileges']);
  assert.is(host.Init, true);
  assert.is(host.RestartPolicy?.Name, 'no');
  assert.equal(config.Entrypoint, ['sleep', '300']);
  assert.ok(config.Env.includes('GREETING=hi'));
  assert.is(config.Labels[LABEL.node], 'node-a');
});

it('a port without a host port is bound to an ephemeral host port, reported with the fixed one', async () => {
  // A port that was free a moment ago: bound by this test, released just before the start.
  const probe = await listeningServer();
  const fixed = portOf(probe);
  await new Promise((r) => probe.close(r));
  const ports: ContainerSpec['ports'] = [
    { containerPort: 8080, protocol: 'tcp' },
    { containerPort: 9090, hostPort: fixed, protocol: 'tcp' },
  ];
  const id = await runtime.start(replica(0, { ports }), owner);
  const observed = await listed(id);
  assert.is(observed?.hostPorts.length, 2);
  assert.ok(observed?.hostPorts.includes(fixed));
  assert.ok(observed?.hostPorts.every((p) => p > 0));
});

it('an exited container reports its exit code, and restart runs it again in place', async () => {
  // Exits with 3 the first time; the file survives in the container, so the restart stays up.
  const command = ['sh', '-c', 'if [ -e /tmp/ran ]; then exec sleep 300; fi; touch /tmp/ran; exit 3'];
  const id = await runtime.start(replica(0, { command }), owner);
  const exited = await until('the exit', async () => ((await listed(id))?.state === 'exited' ? listed(id) : undefined));
  assert.is(exited.exitCode, 3);
  assert.ok(exited.finishedAtMs !== undefined && exited.startedAtMs !== undefined && exited.finishedAtMs >= exited.startedAtMs);
  await runtime.restart(id, replica(0, { command }));
  const again = await listed(id);
  assert.is(again?.state, 'running');
  assert.ok((again?.startedAtMs ?? 0) > (exited.startedAtMs ?? 0));
});

it('removing a running container returns well within its grace, and removing it twice is fine', async () => {
  // A shell ignores SIGTERM as PID 1; the init makes it PID 2, so SIGTERM ends it at once.
  const command = ['sh', '-c', 'echo up; while true; do sleep 1; done'];
  const id = await runtime.start(replica(0, { command }), owner);
  // Once the shell runs: a SIGTERM that reaches the init before it has set its handlers
  // is dropped (PID 1 ignores what it does not handle), and then the grace runs out, as it should.
  await until(
    'the shell runs',
    async () => {
      for await (const chunk of runtime.logs(id, { follow: false, signal: AbortSignal.timeout(10_000) })) if (Buffer.from(chunk).toString().includes('up')) return true;
      return undefined;
    },
    60_000,
  );
  const graceMs = 60_000;
  const began = Date.now();
  await runtime.remove(id, graceMs);
  // Ended by the signal, not by the kill at the grace's end: well within it, however busy the machine.
  assert.ok(Date.now() - began < graceMs / 2, `remove took ${Date.now() - began} ms of a ${graceMs} ms grace`);
  assert.is(await listed(id), undefined);
  await runtime.remove(id, 10_000);
});

it("a replica's log larger than what one read takes streams whole, its tail across pieces; an exec keeps the last 256 KiB of each stream", async () => {
  // 20,000 numbered lines (about 150 KB), then a mark once they are all written.
  const command = ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo "line $i"; i=$((i+1)); done; echo done; exec sleep 300'];
  const id = await runtime.start(replica(0, { command }), owner);
  const text = async (options: { tail?: number }): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of runtime.logs(id, { follow: false, signal: AbortSignal.timeout(60_000), ...options })) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString();
  };
  const all = await until('the shell wrote every line', async () => ((await text({})).endsWith('done\n') ? text({}) : undefined), 60_000);
  const lines = all.trimEnd().split('\n');
  assert.is(lines.length, 20_001);
  assert.is(lines[12_345], 'line 12345', 'in order, none lost or split');
  assert.is(await text({ tail: 3 }), 'line 19998\nline 19999\ndone\n');
  assert.is(await text({ tail: 0 }), '');

  // 10 MB on stdout, a little on stderr: the node keeps the end of each.
  const result = await runtime.exec(id, ['sh', '-c', 'head -c 10000000 /dev/zero; echo end; echo oops >&2'], 60_000);
  assert.is(result.exitCode, 0);
  assert.is(result.stdout.length, 256 * 1024);
  assert.ok(result.stdout.endsWith('\0end\n'), 'the last bytes are kept');
  assert.is(result.stderr, 'oops\n');
});

it('an image that is neither present nor pullable is an ImageUnavailableError naming it', async () => {
  const missing = 'shoal/does-not-exist:1';
  try {
    await runtime.start(replica(0, { image: missing }), owner);
    assert.unreachable('start should have failed');
  } catch (e) {
    assert.instance(e, ImageUnavailableError);
    const error = e as ImageUnavailableError;
    assert.is(error.image, missing);
    assert.ok(error.reason.length > 0);
    assert.ok(error.message.includes(missing) && error.message.includes(error.reason));
  }
  assert.equal(await runtime.list(owner), []);
});

it('a start that fails leaves no container behind', async () => {
  const taken = await listeningServer();
  try {
    const ports: ContainerSpec['ports'] = [{ containerPort: 80, hostPort: portOf(taken), protocol: 'tcp' }];
    await runtime.start(replica(0, { ports }), owner).then(
      () => assert.unreachable('the host port is taken'),
      (e: unknown) => assert.not.instance(e, ImageUnavailableError),
    );
    assert.equal(await runtime.list(owner), []);
  } finally {
    await new Promise((r) => taken.close(r));
  }
});

it('a start or restart its gate refuses at the last moment runs nothing, and a refused start leaves no container', async () => {
  const held = (e: unknown): void => assert.instance(e, StartHeldError);
  await runtime.start(replica(0), owner, () => false).then(() => assert.unreachable('the gate refused the start'), held);
  assert.equal(await runtime.list(owner), []);
  const id = await runtime.start(replica(0, { command: ['sh', '-c', 'exit 0'] }), owner);
  await until('the exit', async () => ((await listed(id))?.state === 'exited' ? true : undefined));
  await runtime.restart(id, replica(0), () => false).then(() => assert.unreachable('the gate refused the restart'), held);
  assert.is((await listed(id))?.state, 'exited');
});

it("list shows neither another node's nor another cluster's containers", async () => {
  const otherNode: ReplicaOwner = { cluster, node: 'node-b' };
  const otherCluster: ReplicaOwner = { cluster: `${cluster}-other`, node: 'node-a' };
  const mine = await runtime.start(replica(0), owner);
  const theirs = await runtime.start(replica(1), otherNode);
  await runtime.start(replica(2), otherCluster);
  assert.equal(
    (await runtime.list(owner)).map((r) => r.id),
    [mine],
  );
  assert.equal(
    (await runtime.list(otherNode)).map((r) => r.id),
    [theirs],
  );
});

test.run();

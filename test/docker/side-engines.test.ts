import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { copyImage, mounts, reapStaleSideEngines, SIDE_ENGINES_ROOT, startSideEngines } from '../../testnet/images/side-engines.js';
import { processesNaming } from '../../testnet/processes.js';
import { poll } from '../../testnet/poll.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();
// Side engines are dockerds of their own, which only root may start (CI runs as root).
const root = process.getuid?.() === 0;
if (docker !== null && !root && process.env.SHOAL_REQUIRE_DOCKER === '1') throw new Error('SHOAL_REQUIRE_DOCKER=1, but side engines (dockerds of their own) need root');
const it = docker === null || !root ? test.skip : test;

// Without a TTY the engine multiplexes stdout and stderr, each frame behind an 8-byte
// header: [stream, 0, 0, 0, length (uint32 BE)].
function stdoutOf(raw: Buffer): string {
  let out = '';
  for (let at = 0; at + 8 <= raw.length; at += 8 + raw.readUInt32BE(at + 4)) {
    if (raw[at] === 1) out += raw.subarray(at + 8, at + 8 + raw.readUInt32BE(at + 4)).toString('utf8');
  }
  return out;
}

const hasImage = async (engine: Dockerode, tag: string): Promise<boolean> => (await engine.listImages({ filters: { reference: [tag] } })).length > 0;

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

interface Traces {
  dir: string;
  pids: number[];
  bridges: string[];
  cgroupParent: string;
}

/** What of an engine is still on the host: processes, mounts, files, bridges, cgroups. */
function leftovers({ dir, pids, bridges, cgroupParent }: Traces): string[] {
  const cgroupRoots = mounts()
    .filter((m) => m.type === 'cgroup' || m.type === 'cgroup2')
    .map((m) => m.point);
  return [
    ...processesNaming(`${dir}/`).map((pid) => `process ${pid} naming ${dir}`),
    ...pids.filter(running).map((pid) => `process ${pid}`),
    ...mounts()
      .filter((m) => m.point === dir || m.point.startsWith(`${dir}/`))
      .map((m) => `mount ${m.point}`),
    ...(existsSync(dir) ? [`directory ${dir}`] : []),
    ...bridges.filter((b) => existsSync(`/sys/class/net/${b}`)).map((b) => `interface ${b}`),
    ...cgroupRoots.map((root) => join(root, cgroupParent)).filter((d) => existsSync(d)),
  ];
}

async function bridgesOf(engine: Dockerode): Promise<string[]> {
  const networks = await engine.listNetworks();
  return networks.filter((n) => n.Driver === 'bridge').map((n) => n.Options?.['com.docker.network.bridge.name'] ?? `br-${n.Id.slice(0, 12)}`);
}

it('three side engines keep their own images, run containers on a user bridge, and leave nothing behind once stopped', async () => {
  const hostBridge = existsSync('/sys/class/net/docker0');
  const startedAt = performance.now();
  const side = await startSideEngines(3);
  const startMs = performance.now() - startedAt;
  const traces: Traces[] = side.engines.map((e) => ({ dir: e.dir, pids: [e.pid], bridges: [e.defaultBridge], cgroupParent: e.cgroupParent }));
  let stopMs = Number.NaN;
  try {
    const [first, second, third] = side.engines.map((e) => e.docker) as [Dockerode, Dockerode, Dockerode];
    assert.is(new Set(side.engines.map((e) => e.socket)).size, 3, 'three sockets');
    assert.is(new Set(side.engines.map((e) => e.addressBlock)).size, 3, 'three address blocks');

    const image = await ensureBusyboxImage(first);
    assert.is(image, BUSYBOX_IMAGE);
    assert.ok(await hasImage(first, image), 'engine 0 lists the image it built');
    assert.not.ok(await hasImage(second, image), 'engine 1 does not see engine 0 images');
    assert.not.ok(await hasImage(third, image), 'engine 2 does not see engine 0 images');
    await copyImage(first, second, image);
    assert.ok(await hasImage(second, image), 'engine 1 lists the copied image');
    assert.not.ok(await hasImage(third, image), 'engine 2 still does not');

    await second.createNetwork({ Name: 'shoal-test', Driver: 'bridge', CheckDuplicate: true });
    const once = await second.createContainer({ Image: image, Cmd: ['sh', '-c', 'echo hi'], HostConfig: { Init: true, NetworkMode: 'shoal-test' } });
    await once.start();
    const { StatusCode } = (await once.wait()) as { StatusCode: number };
    assert.is(StatusCode, 0);
    assert.is(stdoutOf((await once.logs({ stdout: true, stderr: true, follow: false })) as Buffer), 'hi\n');

    // The host reaches a container over the side engine's bridge (no iptables rule needed).
    const server = await second.createContainer({
      Image: image,
      Cmd: ['sh', '-c', 'mkdir -p /w && echo served > /w/index.html && exec httpd -f -p 8080 -h /w'],
      HostConfig: { Init: true, NetworkMode: 'shoal-test' },
    });
    await server.start();
    const inspected = await server.inspect();
    const address = inspected.NetworkSettings.Networks['shoal-test']?.IPAddress ?? '';
    assert.match(address, /^10\.211\./, 'the network takes its address from the engine block');
    const body = await poll(
      `http://${address}:8080/ answers from the host`,
      async () => {
        const response = await fetch(`http://${address}:8080/`, { signal: AbortSignal.timeout(2_000) });
        return response.ok ? await response.text() : undefined;
      },
      30_000,
    );
    assert.is(body, 'served\n');

    traces[1]?.pids.push(inspected.State.Pid);
    for (const [i, e] of side.engines.entries()) traces[i]?.bridges.push(...(await bridgesOf(e.docker)));
    const stoppingAt = performance.now();
    await side.stop();
    stopMs = performance.now() - stoppingAt;
  } finally {
    await side.stop();
  }
  console.log(`  3 side engines: started in ${Math.round(startMs)} ms, stopped in ${Math.round(stopMs)} ms`);
  assert.equal(traces.flatMap(leftovers), [], 'nothing of the engines remains');
  if (hostBridge) assert.ok(existsSync('/sys/class/net/docker0'), "the host engine's docker0 is still there");
});

/** A process that starts an engine, runs a container on it, prints the engine's traces, and waits to be killed. */
const CRASHING_OWNER = `
import { startSideEngines } from ${JSON.stringify(new URL('../../testnet/images/side-engines.ts', import.meta.url).href)};
import { ensureBusyboxImage } from ${JSON.stringify(new URL('../../testnet/images/busybox-image.ts', import.meta.url).href)};
const { engines: [engine] } = await startSideEngines(1);
const image = await ensureBusyboxImage(engine.docker);
await engine.docker.createNetwork({ Name: 'shoal', Driver: 'bridge' });
const container = await engine.docker.createContainer({ Image: image, Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'shoal' } });
await container.start();
const { State } = await container.inspect();
const bridges = (await engine.docker.listNetworks()).filter((n) => n.Driver === 'bridge').map((n) => n.Options?.['com.docker.network.bridge.name'] ?? 'br-' + n.Id.slice(0, 12));
console.log(JSON.stringify({ dir: engine.dir, pids: [engine.pid, State.Pid], bridges, cgroupParent: engine.cgroupParent }));
setInterval(() => {}, 60_000);
`;

it("a crashed run's engine, container and all, is reaped by the next run", async () => {
  const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CRASHING_OWNER], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  owner.stdout.on('data', (d: Buffer) => (output += d.toString()));
  owner.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise((resolve) => owner.once('exit', resolve));
  const exitedEarly = exited.then(() => Promise.reject(new Error(`the owner process exited before it reported its engine:\n${output}`)));
  // Handled here: it rejects again once the owner is killed below.
  exitedEarly.catch(() => undefined);
  let traces: Traces;
  try {
    const reported = poll(
      'the owner process reports its engine',
      async () => {
        const line = output.split('\n').find((l) => l.startsWith('{"dir"'));
        return line === undefined ? undefined : (JSON.parse(line) as Traces);
      },
      120_000,
    );
    traces = await Promise.race([reported, exitedEarly]);
  } finally {
    // The crash: the owner goes, its dockerd and container stay.
    owner.kill('SIGKILL');
    await exited;
  }
  assert.ok(traces.dir.startsWith(`${SIDE_ENGINES_ROOT}/`));
  assert.ok(traces.pids.every(running), 'dockerd and the container outlive their owner');
  assert.ok(
    mounts().some((m) => m.point.startsWith(`${traces.dir}/`)),
    'the engine mounts remain',
  );

  const reaped = await reapStaleSideEngines();
  assert.ok(reaped.includes(traces.dir.slice(SIDE_ENGINES_ROOT.length + 1)), `reaped ${reaped.join(', ')}`);
  assert.equal(leftovers(traces), [], 'nothing of the crashed engine remains');
});

test.run();

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessRuntime } from '../../node/agent/process-runtime.js';
import { StartHeldError, type ReplicaOwner } from '../../node/agent/runtime.js';
import type { ContainerSpec, DesiredReplica, ObservedReplica } from '../../protocol/agent/replica.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-process-runtime-'));
const owner: ReplicaOwner = { cluster: 'cluster-one', node: 'node-a' };
const log = pino({ level: 'silent' });
const runtime = new ProcessRuntime({ dir, log });

function replica(slot: number, spec: Partial<ContainerSpec> = {}): DesiredReplica {
  return {
    workload: 'Workload/default/web',
    slot,
    epoch: 2,
    specVersion: 'spec-1',
    spec: { image: 'ignored:1', command: ['sleep', '300'], env: {}, ports: [], restartPolicy: 'always', capabilities: [], ...spec },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const listed = async (id: string, by: ReplicaOwner = owner, from = runtime): Promise<ObservedReplica | undefined> => (await from.list(by)).find((r) => r.id === id);

const exited = (id: string, from = runtime): Promise<ObservedReplica> =>
  until(`${id} to exit`, async () => {
    const r = await listed(id, owner, from);
    return r?.state === 'exited' ? r : undefined;
  });

/** The content of a file the replica writes in its directory, once it is there. */
const fileOf = (id: string, name: string): string | undefined => (existsSync(join(dir, id, name)) ? readFileSync(join(dir, id, name), 'utf8') : undefined);

const record = (id: string): { pid: number; startTime: number } => JSON.parse(readFileSync(join(dir, id, 'replica.json'), 'utf8'));

/** Alive and not a zombie: what /proc says, independent of the code under test. */
function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Kills whatever a test left running: each replica's whole group, then its directory. */
test.after.each(() => {
  for (const id of readdirSync(dir)) {
    const file = join(dir, id, 'replica.json');
    if (existsSync(file) && alive(record(id).pid)) {
      try {
        process.kill(-record(id).pid, 'SIGKILL');
      } catch {
        // Ended between the check and the kill.
      }
    }
    rmSync(join(dir, id), { recursive: true, force: true });
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a started process is listed as running with its identity, its host ports and its output in a file', async () => {
  const command = ['sh', '-c', 'echo to-stdout; echo to-stderr >&2; exec sleep 300'];
  const ports: ContainerSpec['ports'] = [
    { containerPort: 80, hostPort: 8080, protocol: 'tcp' },
    { containerPort: 81, protocol: 'tcp' },
  ];
  const before = Date.now();
  const id = await runtime.start(replica(0, { command, ports }), owner);
  const observed = await listed(id);
  assert.ok(observed);
  assert.equal(
    { workload: observed.workload, slot: observed.slot, epoch: observed.epoch, specVersion: observed.specVersion, state: observed.state },
    { workload: 'Workload/default/web', slot: 0, epoch: 2, specVersion: 'spec-1', state: 'running' },
  );
  assert.equal(observed.hostPorts, [8080]);
  assert.ok((observed.startedAtMs ?? 0) >= before);
  await until('both lines in output.log', () => (/to-stdout\nto-stderr\n/.test(fileOf(id, 'output.log') ?? '') ? true : undefined));
});

test('the spec environment reaches the command, with the PATH of the agent', async () => {
  const command = ['sh', '-c', 'echo "$GREETING $PATH" > env.txt; exec sleep 300'];
  const id = await runtime.start(replica(0, { command, env: { GREETING: 'hello' } }), owner);
  const text = await until('env.txt', () => fileOf(id, 'env.txt'));
  assert.is(text, `hello ${process.env.PATH}\n`);
});

test('a second runtime instance, as after an agent restart, finds the same replicas', async () => {
  const ids = [await runtime.start(replica(0), owner), await runtime.start(replica(1), owner)];
  const found = await new ProcessRuntime({ dir, log }).list(owner);
  assert.equal(found.map((r) => r.id).sort(), [...ids].sort());
  assert.ok(found.every((r) => r.state === 'running'));
});

test('the exit code of a finished command is known, also to a fresh instance', async () => {
  const id = await runtime.start(replica(0, { command: ['sh', '-c', 'exit 3'] }), owner);
  const observed = await exited(id);
  assert.is(observed.exitCode, 3);
  assert.ok(observed.finishedAtMs !== undefined && observed.finishedAtMs >= (observed.startedAtMs ?? Infinity));
  assert.is((await listed(id, owner, new ProcessRuntime({ dir, log })))?.exitCode, 3);
});

test('a replica outlives the agent process that started it, and its exit is recorded afterwards', async () => {
  // Another Node process starts the replica and exits: the replica is no longer its child.
  const script = `
    const { ProcessRuntime } = await import('./node/agent/process-runtime.ts');
    const { pino } = await import('pino');
    const runtime = new ProcessRuntime({ dir: ${JSON.stringify(dir)}, log: pino({ level: 'silent' }) });
    const command = ['sh', '-c', 'while [ ! -e go ]; do sleep 0.02; done; exit 4'];
    const spec = { image: 'i', command, env: {}, ports: [], restartPolicy: 'never', capabilities: [] };
    const replica = { workload: 'Workload/default/web', slot: 7, epoch: 2, specVersion: 'spec-1', spec };
    console.log(await runtime.start(replica, ${JSON.stringify(owner)}));`;
  const agent = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
  const id = agent.stdout.trim();
  assert.is((await listed(id))?.state, 'running');
  writeFileSync(join(dir, id, 'go'), '');
  assert.is((await exited(id)).exitCode, 4);
});

test('restart runs an exited replica again, in place, as a new process', async () => {
  // Exits with 3 the first time; the file stays in its directory, so the restart stays up.
  const command = ['sh', '-c', 'if [ -e ran ]; then exec sleep 300; fi; touch ran; exit 3'];
  const id = await runtime.start(replica(0, { command }), owner);
  const first = await exited(id);
  const firstPid = record(id).pid;
  await runtime.restart(id, replica(0, { command }));
  const again = await listed(id);
  assert.is(again?.state, 'running');
  assert.is(again?.exitCode, undefined);
  assert.ok((again?.startedAtMs ?? 0) >= (first.startedAtMs ?? Infinity));
  assert.is.not(record(id).pid, firstPid);
});

test('remove ends the whole process group well within its grace, and removing twice is fine', async () => {
  const command = ['sh', '-c', 'sleep 300 & echo $! > child.pid; wait'];
  const id = await runtime.start(replica(0, { command }), owner);
  const child = Number(await until('the child pid', () => fileOf(id, 'child.pid')));
  const leader = record(id).pid;
  const began = Date.now();
  await runtime.remove(id, 10_000);
  assert.ok(Date.now() - began < 3_000, `remove took ${Date.now() - began} ms`);
  await until('the group to end', () => (!alive(leader) && !alive(child) ? true : undefined));
  assert.not.ok(existsSync(join(dir, id)));
  assert.is(await listed(id), undefined);
  await runtime.remove(id, 10_000);
});

test('a replica that ignores SIGTERM is killed once its grace is over', async () => {
  const command = ['sh', '-c', 'trap "" TERM; touch ready; while true; do sleep 0.05; done'];
  const id = await runtime.start(replica(0, { command }), owner);
  await until('the trap to be set', () => fileOf(id, 'ready'));
  const leader = record(id).pid;
  const began = Date.now();
  await runtime.remove(id, 300);
  const took = Date.now() - began;
  assert.ok(took >= 300 && took < 3_000, `remove took ${took} ms`);
  assert.not.ok(alive(leader));
});

test('a missing executable is a start failure naming the command, and leaves nothing behind', async () => {
  const error = await runtime.start(replica(0, { command: ['shoal-no-such-command', '--flag'] }), owner).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.ok(error, 'start should have failed');
  assert.match(error.message, 'shoal-no-such-command');
  assert.equal(readdirSync(dir), []);
});

test('a start or restart its gate refuses at the last moment runs nothing, and a refused start leaves nothing behind', async () => {
  const refused = await runtime
    .start(replica(0), owner, () => false)
    .then(
      () => undefined,
      (e: unknown) => e as Error,
    );
  assert.instance(refused, StartHeldError);
  assert.equal(readdirSync(dir), []);
  const id = await runtime.start(replica(0, { command: ['sh', '-c', 'exit 0'] }), owner);
  await exited(id);
  const restart = await runtime
    .restart(id, replica(0), () => false)
    .then(
      () => undefined,
      (e: unknown) => e as Error,
    );
  assert.instance(restart, StartHeldError);
  assert.is((await listed(id))?.state, 'exited');
  await runtime.remove(id, 300);
});

test("list shows neither another node's nor another cluster's replicas", async () => {
  const otherNode: ReplicaOwner = { cluster: owner.cluster, node: 'node-b' };
  const mine = await runtime.start(replica(0), owner);
  const theirs = await runtime.start(replica(1), otherNode);
  await runtime.start(replica(2), { cluster: 'cluster-two', node: owner.node });
  assert.equal(
    (await runtime.list(owner)).map((r) => r.id),
    [mine],
  );
  assert.equal(
    (await runtime.list(otherNode)).map((r) => r.id),
    [theirs],
  );
});

test('the image is ignored, and a log line says so once', async () => {
  const lines: string[] = [];
  const logged = new ProcessRuntime({ dir, log: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }) });
  await logged.start(replica(0), owner);
  await logged.start(replica(1), owner);
  const notices = lines.filter((line) => line.includes('ignores images'));
  assert.is(notices.length, 1);
  assert.match(notices[0] ?? '', 'ignored:1');
});

test('values from secrets reach the process but never its record, and its secret files live in memory', async () => {
  const files = [{ path: '/run/secrets/db/password', content: Buffer.from('file-value-71c2').toString('base64'), mode: 0o400 }];
  const spec: Partial<ContainerSpec> = {
    command: ['sh', '-c', 'echo "$PASSWORD"; cat "$SHOAL_ROOT/run/secrets/db/password"; exec sleep 300'],
    env: { PASSWORD: 'env-value-9f3a', PLAIN: 'x' },
    secretEnv: ['PASSWORD'],
    files,
  };
  const id = await runtime.start(replica(0, spec), owner);
  await until('both values printed', async () => (readFileSync(join(dir, id, 'output.log'), 'utf8').includes('file-value-71c2') ? true : undefined));
  assert.equal(
    readFileSync(join(dir, id, 'output.log'), 'utf8')
      .split('\n')
      .slice(0, 2),
    ['env-value-9f3a', 'file-value-71c2'],
  );
  const stored = readFileSync(join(dir, id, 'replica.json'), 'utf8');
  assert.not.match(stored, 'env-value-9f3a');
  assert.match(stored, '"PLAIN"');
  assert.ok(existsSync(join('/dev/shm/shoal-replicas', id, 'run/secrets/db/password')), 'the file is on a tmpfs');
  await runtime.remove(id, 1_000);
  assert.not.ok(existsSync(join('/dev/shm/shoal-replicas', id)), 'and goes with the replica');
});

test.run();

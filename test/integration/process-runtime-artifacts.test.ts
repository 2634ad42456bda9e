import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { artifactTar } from '../../cli/commands/artifact.js';
import { ArtifactStore } from '../../node/artifacts/artifact-store.js';
import { ProcessRuntime, type PeerArtifacts } from '../../node/agent/process-runtime.js';
import { ContentPendingError, type ReplicaOwner } from '../../node/agent/runtime.js';
import type { Availability } from '../../node/content/content-service.js';
import type { ContainerSpec, DesiredReplica, ObservedReplica } from '../../protocol/agent/replica.js';

/** The process runtime with artifacts (issue 18, item 6): a replica runs in a copy of its artifact, fetched from peers when it is not here. */
const root = mkdtempSync(join(tmpdir(), 'shoal-process-artifacts-'));
const dir = join(root, 'replicas');
const owner: ReplicaOwner = { cluster: 'cluster-one', node: 'node-a' };
const log = pino({ level: 'silent' });
let store: ArtifactStore;
let held: string;
let peerAnswer: Availability = { state: 'failed', message: 'nobody has it' };
const asked: string[] = [];
const peers: PeerArtifacts = {
  availability: async (id) => {
    asked.push(id);
    return peerAnswer;
  },
};
let runtime: ProcessRuntime;

function replica(slot: number, spec: Partial<ContainerSpec> = {}): DesiredReplica {
  return {
    workload: 'Workload/default/app',
    slot,
    epoch: 1,
    specVersion: 'spec-1',
    spec: { image: 'ignored:1', command: ['./run.sh'], env: {}, ports: [], restartPolicy: 'always', capabilities: [], artifact: held, ...spec },
  };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const runs = (id: string): string => (existsSync(join(dir, id, 'artifact', 'runs.txt')) ? readFileSync(join(dir, id, 'artifact', 'runs.txt'), 'utf8') : '');
const output = (id: string): string => (existsSync(join(dir, id, 'output.log')) ? readFileSync(join(dir, id, 'output.log'), 'utf8') : '');
const listed = async (id: string): Promise<ObservedReplica | undefined> => (await runtime.list(owner)).find((r) => r.id === id);

async function failure(start: Promise<unknown>): Promise<Error> {
  return start.then(
    () => {
      throw new Error('the start should have failed');
    },
    (e: unknown) => e as Error,
  );
}

test.before(async () => {
  store = await ArtifactStore.open(join(root, 'artifacts'));
  const source = join(root, 'source');
  mkdirSync(join(source, 'conf'), { recursive: true });
  // Prints where it runs and what it was given, writes beside itself, and stays up.
  writeFileSync(join(source, 'run.sh'), '#!/bin/sh\necho "marker $(cat conf/greeting) in $PWD as $SHOAL_ARTIFACT"\necho "$(date +%s%N)" >> runs.txt\nexec sleep 300\n', {
    mode: 0o755,
  });
  writeFileSync(join(source, 'conf', 'greeting'), 'hello');
  const tarFile = join(root, 'artifact.tar');
  held = (await artifactTar(source, tarFile)).id;
  await store.accept(held, tarFile);
  runtime = new ProcessRuntime({ dir, log, artifacts: { store, peers } });
});

test.after.each(async () => {
  for (const r of await runtime.list(owner)) await runtime.remove(r.id, 0);
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test('a replica runs its command in a fresh copy of its artifact, with SHOAL_ARTIFACT; the store keeps its own copy as it came', async () => {
  const id = await runtime.start(replica(0), owner);
  const work = join(dir, id, 'artifact');
  const line = await until('the marker', () =>
    output(id)
      .split('\n')
      .find((l) => l.startsWith('marker')),
  );
  assert.is(line, `marker hello in ${work} as ${held}`);
  await until('runs.txt', () => (existsSync(join(work, 'runs.txt')) ? true : undefined));
  assert.not.ok(existsSync(join(store.dir, held.slice(7), 'runs.txt')), "the store's copy is untouched");
  assert.equal(readdirSync(join(store.dir, held.slice(7))).sort(), ['conf', 'run.sh']);
  assert.equal(asked, [], 'a held artifact asks no peer');
});

test('a restart runs in the same copy, as the replica left it; exec runs there too', async () => {
  const id = await runtime.start(replica(0, { command: ['sh', '-c', 'echo x >> runs.txt; exit 1'] }), owner);
  await until('the first run', () => (runs(id) === 'x\n' ? true : undefined));
  await until('exited', async () => ((await listed(id))?.state === 'exited' ? true : undefined));
  await runtime.restart(id, replica(0));
  // The restart runs the command the replica was started with, and finds the first run's line.
  await until('the second run', () => (runs(id) === 'x\nx\n' ? true : undefined));
  const exec = await runtime.exec(id, ['sh', '-c', 'pwd; cat conf/greeting'], 5_000);
  assert.equal(exec.stdout.trim().split('\n'), [join(dir, id, 'artifact'), 'hello']);
});

test('removing the replica removes its copy', async () => {
  const id = await runtime.start(replica(0), owner);
  await until('running', () => (existsSync(join(dir, id, 'artifact', 'run.sh')) ? true : undefined));
  await runtime.remove(id, 0);
  assert.not.ok(existsSync(join(dir, id)));
  assert.ok(existsSync(join(store.dir, held.slice(7), 'run.sh')));
});

test('an artifact not here is asked of the peers: while it comes the start waits (ContentPendingError), leaving nothing behind', async () => {
  const missing = `sha256:${'4'.repeat(64)}`;
  peerAnswer = { state: 'fetching', message: 'waiting for artifact 444444444444, fetching it from peers' };
  const pending = await failure(runtime.start(replica(0, { artifact: missing }), owner));
  assert.instance(pending, ContentPendingError);
  assert.equal([(pending as ContentPendingError).what, (pending as ContentPendingError).reason], [`artifact ${missing}`, peerAnswer.message]);
  assert.equal(asked.slice(-1), [missing]);
  assert.equal(existsSync(dir) ? readdirSync(dir) : [], []);
});

test('an artifact no peer could give fails the start, saying so', async () => {
  const missing = `sha256:${'5'.repeat(64)}`;
  peerAnswer = { state: 'failed', message: 'no provider could give it within 120 s' };
  const failed = await failure(runtime.start(replica(0, { artifact: missing }), owner));
  assert.not.instance(failed, ContentPendingError);
  assert.match(failed.message, `artifact ${missing} is not on this node and no peer could give it: no provider could give it within 120 s`);
});

test('a malformed artifact id is refused before it names a path or a fetch; a runtime without a store refuses any', async () => {
  const before = asked.length;
  const malformed = await failure(runtime.start(replica(0, { artifact: '../../etc' }), owner));
  assert.match(malformed.message, 'spec.artifact "../../etc" is not an artifact id');
  assert.is(asked.length, before);
  const bare = new ProcessRuntime({ dir, log });
  assert.match((await failure(bare.start(replica(0), owner))).message, 'was given no artifact store');
  const noPeers = new ProcessRuntime({ dir, log, artifacts: { store } });
  assert.match((await failure(noPeers.start(replica(0, { artifact: `sha256:${'6'.repeat(64)}` }), owner))).message, 'it fetches none from peers');
});

test.run();

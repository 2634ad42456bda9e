import { generateKeyPair } from '@libp2p/crypto/keys';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadManifests } from '../../cli/spec-file.js';
import { Agent } from '../../node/agent/agent.js';
import { ContentPendingError, ImageUnavailableError, type ContainerRuntime, type ReplicaOwner } from '../../node/agent/runtime.js';
import { generateClusterKey } from '../../node/cluster-key.js';
import { EventLog } from '../../node/event-log.js';
import { NodeWriter } from '../../node/node-writer.js';
import { SecretBox } from '../../node/secret-box.js';
import { StateService } from '../../node/state-service.js';
import { author, CLUSTER, write } from '../unit/crdt/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-agent-start-backoff-'));
const log = pino({ level: 'silent' });
const operator = author(1);
const owner: ReplicaOwner = { cluster: CLUSTER, node: 'node-under-test' };

test.after(() => rmSync(dir, { recursive: true, force: true }));

const manifest = `apiVersion: shoal/v1
kind: Workload
metadata: {name: fetched}
spec:
  image: registry.invalid/app:1
  command: [sleep, "300"]
  replicas: 1
`;

const START_MS = 1_000_000;
/** Each pass of the agent moves the node's clock on by this much: passes are driven, not timed. */
const PASS_MS = 100;

/**
 * A runtime whose image comes from peers: the fetch runs for 5 s (the start waits, as
 * ContentPendingError says), then gives up, and for the 30 s the content service
 * remembers that every start fails as docker-runtime.ts's ensureImage does then.
 */
function fetchGivesUp(clock: { nowMs: () => number; advance: () => void }): ContainerRuntime {
  const unused = async (): Promise<never> => Promise.reject(new Error('not used'));
  return {
    kind: 'docker',
    list: async () => {
      clock.advance();
      return [];
    },
    start: async () => {
      if (clock.nowMs() < START_MS + 5_000) throw new ContentPendingError('image registry.invalid/app:1', 'waiting for image 0123, fetching it from peers');
      throw new ImageUnavailableError('registry.invalid/app:1', 'no peer could give sha256:0123: no provider could give it within 120 s');
    },
    restart: unused,
    stop: async () => undefined,
    remove: async () => undefined,
    logs: () => ({ [Symbol.asyncIterator]: () => ({ next: unused }) }),
    exec: unused,
    usage: async () => [],
    serviceNetwork: async () => undefined,
    close: async () => undefined,
  };
}

// The scheduler gives a slot back after three failed starts and, where no other node
// fits, places it here again under a new epoch: a new placement, but the same failure.
test('starts that fail after a peer fetch gave up back off, across the new epochs the slot comes back under, and say so a few times, not every second', async () => {
  let now = START_MS;
  const clock = { nowMs: () => now, advance: () => (now += PASS_MS) };
  const state = await StateService.open(join(dir, 'state'), { cluster: CLUSTER, operators: [operator.publicKey] }, log);
  const [workload] = loadManifests(manifest, 'fetched.yaml');
  if (workload === undefined) throw new Error('the manifest holds no workload');
  assert.ok((await state.submit(write(operator, Date.now(), [{ key: workload.key, set: workload.fields }]), 'self')).ok);
  const events = new EventLog();
  let epoch = 1;
  const failures = (): number => events.list(workload.key).filter((e) => e.kind === 'start-failed').length;
  const agent = new Agent({
    runtime: fetchGivesUp(clock),
    owner,
    state,
    writer: new NodeWriter(await generateKeyPair('Ed25519'), CLUSTER, state),
    events,
    log,
    // Three failures of one epoch: the slot is given back and placed here again.
    scheduled: () => {
      if (failures() >= epoch * 3) epoch++;
      return [{ workload: workload.key, index: 0, epoch }];
    },
    placed: () => [{ workload: workload.key, index: 0, epoch, node: owner.node }],
    secrets: new SecretBox(generateClusterKey(), CLUSTER),
    majority: { fenced: () => false, guard: () => undefined },
    intervalMs: 2,
    clock,
  });
  agent.start();
  while (now < START_MS + 40_000) await new Promise((resolve) => setTimeout(resolve, 2));
  await agent.stop();
  await state.close();
  const seen = events.list(workload.key);
  assert.equal(
    seen.filter((e) => e.kind === 'content-pending').map((e) => e.atMs - START_MS),
    [PASS_MS],
    'the wait for the fetch is said once, and is no failure',
  );
  // From the give-up at 5 s: waits of 1, 2, 4, 8, 16 s whatever the epoch, so 40 s of it is six failures, not twenty.
  const failedAt = seen.filter((e) => e.kind === 'start-failed').map((e) => e.atMs - START_MS);
  assert.equal(failedAt, [5_000, 6_000, 8_000, 12_000, 20_000, 36_000]);
  assert.ok(epoch >= 2, 'the slot came back under a new epoch');
});

test.run();

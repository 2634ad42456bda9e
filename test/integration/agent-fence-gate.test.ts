import { generateKeyPair } from '@libp2p/crypto/keys';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadManifests } from '../../cli/spec-file.js';
import { Agent } from '../../node/agent/agent.js';
import { ProcessRuntime } from '../../node/agent/process-runtime.js';
import type { ReplicaOwner } from '../../node/agent/runtime.js';
import { generateClusterKey } from '../../node/cluster-key.js';
import { EventLog } from '../../node/event-log.js';
import type { NodeEvent } from '../../protocol/api/events.js';
import { NodeWriter } from '../../node/node-writer.js';
import { SecretBox } from '../../node/secret-box.js';
import { StateService } from '../../node/state-service.js';
import type { ObservedReplica } from '../../protocol/agent/replica.js';
import { author, CLUSTER, write } from '../unit/crdt/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-agent-fence-gate-'));
const log = pino({ level: 'silent' });
const operator = author(1);
const owner: ReplicaOwner = { cluster: CLUSTER, node: 'node-under-test' };
const cleanup: (() => Promise<unknown>)[] = [];

test.after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const manifest = (policy: string): string => `apiVersion: shoal/v1
kind: Workload
metadata: {name: solo}
spec:
  image: ignored:1
  command: [sleep, "300"]
  replicas: 1
  partitionPolicy: ${policy}
`;

/**
 * The real process runtime, with a pause at the one moment that matters: the node is
 * frozen (docker pause) right after its agent listed the runtime, for longer than its
 * fence, so it wakes with its lease run out.
 */
class PausedAfterListing extends ProcessRuntime {
  constructor(
    dir: string,
    private readonly onListed: () => void,
  ) {
    super({ dir, log });
  }

  override async list(by: ReplicaOwner): Promise<ObservedReplica[]> {
    const listed = await super.list(by);
    this.onListed();
    return listed;
  }
}

/** Runs one agent pass for a slot of `solo` placed here, and returns what it recorded and what runs after it. */
async function passWithPause(name: string, policy: string): Promise<{ events: NodeEvent[]; running: ObservedReplica[] }> {
  let fenced = false;
  const runtime = new PausedAfterListing(join(dir, name, 'replicas'), () => (fenced = true));
  cleanup.push(async () => Promise.all((await runtime.list(owner)).map((r) => runtime.remove(r.id, 1_000))));
  const state = await StateService.open(join(dir, name, 'state'), { cluster: CLUSTER, operators: [operator.publicKey] }, log);
  cleanup.push(() => state.close());
  const [workload] = loadManifests(manifest(policy), 'solo.yaml');
  if (workload === undefined) throw new Error('the manifest holds no workload');
  const applied = await state.submit(write(operator, Date.now(), [{ key: workload.key, set: workload.fields }]), 'self');
  assert.ok(applied.ok, JSON.stringify(applied));
  const events = new EventLog();
  const slot = { workload: workload.key, index: 0, epoch: 1 };
  const agent = new Agent({
    runtime,
    owner,
    state,
    writer: new NodeWriter(await generateKeyPair('Ed25519'), CLUSTER, state),
    events,
    log,
    scheduled: () => [slot],
    placed: () => [{ ...slot, node: owner.node }],
    secrets: new SecretBox(generateClusterKey(), CLUSTER),
    majority: { fenced: () => fenced, guard: () => undefined },
    intervalMs: 3_600_000,
  });
  agent.start();
  // start() runs one pass; stop() waits for it (and any it queued) to end.
  await agent.stop();
  return { events: events.list(workload.key), running: (await runtime.list(owner)).filter((r) => r.state === 'running') };
}

test('a node paused in its agent pass, between the fence check and the start, wakes fenced and does not start its majority replica', async () => {
  const { events, running } = await passWithPause('majority', 'majority');
  assert.equal(running, [], 'the majority replica must not run');
  assert.equal(
    events.map((e) => e.kind),
    ['held'],
    JSON.stringify(events),
  );
});

test('the same pause does not hold a replica of an available workload, which no fence guards', async () => {
  const { events, running } = await passWithPause('available', 'available');
  assert.is(running.length, 1);
  assert.equal(
    events.map((e) => e.kind),
    ['started'],
  );
});

test.run();

import { generateKeyPair } from '@libp2p/crypto/keys';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, DOCUMENT_SETTLE_MS } from '../../node/agent/agent.js';
import { ProcessRuntime } from '../../node/agent/process-runtime.js';
import type { ReplicaOwner } from '../../node/agent/runtime.js';
import { generateClusterKey } from '../../node/cluster-key.js';
import { EventLog } from '../../node/event-log.js';
import { NodeWriter } from '../../node/node-writer.js';
import { SecretBox } from '../../node/secret-box.js';
import { StateService } from '../../node/state-service.js';
import { author, CLUSTER, write } from '../unit/crdt/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-agent-burst-'));
const log = pino({ level: 'silent' });
const operator = author(1);
const owner: ReplicaOwner = { cluster: CLUSTER, node: 'node-under-test' };
const WRITES = 200;

test.after(() => rmSync(dir, { recursive: true, force: true }));

// Each pass lists the runtime (a request to Docker, a read of every replica's record
// here): a burst of merged deltas must not make a pass of each.
test('a burst of document changes makes a few agent passes, not one per change, and the last change is acted on', async () => {
  const state = await StateService.open(join(dir, 'state'), { cluster: CLUSTER, operators: [operator.publicKey] }, log);
  const runtime = new ProcessRuntime({ dir: join(dir, 'replicas'), log });
  let listings = 0;
  const list = runtime.list.bind(runtime);
  runtime.list = (o) => {
    listings++;
    return list(o);
  };
  const agent = new Agent({
    runtime,
    owner,
    state,
    writer: new NodeWriter(await generateKeyPair('Ed25519'), CLUSTER, state),
    events: new EventLog(),
    log,
    scheduled: () => [],
    placed: () => [],
    secrets: new SecretBox(generateClusterKey(), CLUSTER),
    majority: { fenced: () => false, guard: () => undefined },
    // Periodic passes far apart: the passes counted are the document's.
    intervalMs: 3_600_000,
  });
  agent.start();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const before = listings;
  const startedAt = performance.now();
  for (let i = 0; i < WRITES; i++) {
    assert.ok((await state.submit(write(operator, Date.now() + i, [{ key: `Workload/default/w${i}`, set: { 'spec.image': 'x', 'spec.replicas': 0 } }]), 'self')).ok);
  }
  const burstMs = performance.now() - startedAt;
  const passes = listings - before;
  // The last changes are acted on: a pass follows the burst.
  for (let waited = 0; listings === before + passes && waited < 10_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  const followed = listings > before + passes;
  await agent.stop();
  await state.close();
  // At most one pass a settle period, however long the burst took (no time limit here: a
  // slow machine takes longer and is allowed more); a pass per change would be WRITES.
  const allowed = Math.ceil(burstMs / DOCUMENT_SETTLE_MS) + 1;
  assert.ok(passes <= allowed, `${passes} passes for ${WRITES} changes in ${Math.round(burstMs)} ms (at most ${allowed})`);
  assert.ok(followed, 'a pass came after the last change');
});

test.run();

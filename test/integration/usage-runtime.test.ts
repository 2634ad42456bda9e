import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import { ProcessRuntime } from '../../node/agent/process-runtime.js';
import type { ReplicaOwner } from '../../node/agent/runtime.js';
import { burnReplica, busyAndIdleScenario } from './usage-scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-usage-runtime-'));
const owner: ReplicaOwner = { cluster: 'cluster-usage', node: 'node-a' };
const runtime = new ProcessRuntime({ dir, log: pino({ level: 'silent' }) });
const started: string[] = [];

const start = async (slot: number, command: string[]): Promise<string> => {
  const id = await runtime.start(burnReplica('ignored:1', slot, command), owner);
  started.push(id);
  return id;
};

test.after(async () => {
  await Promise.all(started.map((id) => runtime.remove(id, 1_000)));
  rmSync(dir, { recursive: true, force: true });
});

test('a replica that burns CPU in a grandchild uses more than an idle one; both hold memory; a stopped one is not sampled', async () => {
  // The loop runs in a subshell the command forks: only a sum over the process tree sees it.
  await busyAndIdleScenario(runtime, owner, start, ['sh', '-c', '(while :; do :; done) & wait']);
});

test.run();

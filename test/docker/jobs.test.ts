import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NodeEvent } from '../../protocol/api/events.js';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { startLocalCluster, waitForMembers } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { placements, until } from '../integration/scheduling-scenario.js';
import { dockerOrSkip } from './engine.js';
import { signedFetch } from '../../cli/client.js';

const docker = await dockerOrSkip();

const job = (name: string, command: string, extra: string) => `apiVersion: shoal/v1
kind: Job
metadata: {name: ${name}}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "${command}"]
  resources: {cpu: 50m, memory: 8Mi}
  ${extra}
`;

interface JobJson {
  name: string;
  succeeded: number;
  completions: number;
  failures: number;
  state: string;
}

(docker === null ? test.skip : test)('a Job completes each index exactly once, at most parallelism at a time, and a failing Job stops at its backoff limit', async () => {
  if (docker !== null) await ensureBusyboxImage(docker);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-jobs-'));
  const replicas = new LocalReplicas('docker');
  const cluster = await startLocalCluster({ dir, nodes: 3, args: ['--runtime', 'docker'] });
  const first = cluster.nodes[0] as ShoalNodeProcess;
  const jobs = async (): Promise<JobJson[]> => (await (await signedFetch(cluster.operatorKey)(`${first.api}/v1/jobs`)).json()) as JobJson[];
  const starts = async (name: string): Promise<NodeEvent[]> =>
    ((await (await signedFetch(cluster.operatorKey)(`${first.api}/v1/cluster/events`)).json()) as { events: NodeEvent[] }).events.filter(
      (e) => e.kind === 'started' && e.object === `Job/default/${name}`,
    );
  try {
    await waitForMembers(first.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 20_000);
    writeFileSync(join(dir, 'jobs.yaml'), `${job('batch', 'sleep 1', 'completions: 5\n  parallelism: 2')}---\n${job('doomed', 'exit 1', 'backoffLimit: 1')}`);
    const applied = await runShoal(['apply', '-f', join(dir, 'jobs.yaml'), '--api', first.apiAddress, '--key', cluster.operatorKey]);
    assert.is(applied.code, 0, applied.stderr);

    let most = 0;
    await until(
      'the batch job completes',
      async () => {
        most = Math.max(most, (await placements(first)).filter((p) => p.name === 'batch' && p.state === 'running').length);
        return (await jobs()).find((j) => j.name === 'batch' && j.state === 'complete');
      },
      60_000,
    );
    assert.ok(most <= 2, `at most parallelism = 2 ran at once; saw ${most}`);
    const batch = await starts('batch');
    const perSlot = new Map<string, number>();
    for (const e of batch) perSlot.set(e.message.split(' ')[1] as string, (perSlot.get(e.message.split(' ')[1] as string) ?? 0) + 1);
    assert.equal(
      [...perSlot.entries()].sort(),
      [
        ['0', 1],
        ['1', 1],
        ['2', 1],
        ['3', 1],
        ['4', 1],
      ],
      'each index started exactly once',
    );
    assert.ok(new Set(batch.map((e) => e.node)).size > 1, 'the runs spread across nodes');

    const doomed = await until('the failing job gives up', async () => (await jobs()).find((j) => j.name === 'doomed' && j.state === 'failed'), 60_000);
    assert.is(doomed.failures, 2, 'backoffLimit 1: the second failure ends it');
    await new Promise((r) => setTimeout(r, 2_000));
    assert.is((await starts('doomed')).length, 2, 'and no run starts after that');
    const table = await runShoal(['get', 'jobs', '--api', first.apiAddress, '--key', cluster.operatorKey]);
    assert.match(table.stdout, /batch\s+5\/5\s+0\s+complete/);
    assert.match(table.stdout, /doomed\s+0\/1\s+2\s+failed/);
  } finally {
    await cluster.stop();
    await replicas.removeAll(cluster.nodes);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

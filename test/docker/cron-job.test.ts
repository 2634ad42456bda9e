import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NodeEvent } from '../../node/event-log.js';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { startLocalCluster, waitForMembers } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { dockerOrSkip } from './engine.js';
import { signedFetch } from '../../cli/client.js';

const docker = await dockerOrSkip();

const CRON = `apiVersion: shoal/v1
kind: CronJob
metadata: {name: ticker}
spec:
  schedule: "*/3 * * * * *"
  startingDeadlineSeconds: 2
  image: shoal/busybox:1
  command: [sh, -c, 'test -n "$SHOAL_CRON_TICK"']
`;

(docker === null ? test.skip : test)('a CronJob on three nodes runs each tick exactly once, and each run knows its tick', async () => {
  if (docker !== null) await ensureBusyboxImage(docker);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-cron-'));
  const replicas = new LocalReplicas('docker');
  const cluster = await startLocalCluster({ dir, nodes: 3, args: ['--runtime', 'docker'] });
  const first = cluster.nodes[0] as ShoalNodeProcess;
  try {
    await waitForMembers(first.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 20_000);
    writeFileSync(join(dir, 'cron.yaml'), CRON);
    const applied = await runShoal(['apply', '-f', join(dir, 'cron.yaml'), '--api', first.apiAddress, '--key', cluster.operatorKey]);
    assert.is(applied.code, 0, applied.stderr);
    const appliedAt = Date.now();
    await new Promise((r) => setTimeout(r, 13_000));
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 3_000));
    const events = ((await (await signedFetch(cluster.operatorKey)(`${first.api}/v1/cluster/events`)).json()) as { events: NodeEvent[] }).events;
    const runs = events.filter((e) => e.kind === 'started' && e.object === 'CronJob/default/ticker').map((e) => Number(e.message.split(' ')[1]));
    const ticks = runs.filter((t) => t * 1000 > appliedAt + 1_000 && t * 1000 < stoppedAt);
    assert.ok(ticks.length >= 3, `at least three ticks ran in 13 s: ${runs.join(', ')}`);
    assert.is(new Set(runs).size, runs.length, `no tick ran twice: ${runs.join(', ')}`);
    assert.ok(
      ticks.every((t) => t % 3 === 0),
      'ticks fall on the schedule',
    );
    // A run without its tick exits 1 and would be failed, not completed.
    const statuses = (await (await signedFetch(cluster.operatorKey)(`${first.api}/v1/objects?kind=Status`)).json()) as { key: string; fields: Record<string, { state: string }> }[];
    const ended = statuses.filter((s) => s.key.startsWith('Status/default/ticker.c')).flatMap((s) => Object.values(s.fields).map((f) => f.state));
    assert.ok(
      ended.length >= runs.length - 1 && ended.every((state) => state === 'completed' || state === 'running' || state === 'pending'),
      `every run completed: ${ended.join(', ')}`,
    );
  } finally {
    await cluster.stop();
    await replicas.removeAll(cluster.nodes);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

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
import { poll } from '../../testnet/poll.js';
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
    const events = async (): Promise<NodeEvent[]> => ((await (await signedFetch(cluster.operatorKey)(`${first.api}/v1/cluster/events`)).json()) as { events: NodeEvent[] }).events;
    const starts = async (): Promise<NodeEvent[]> => (await events()).filter((e) => e.kind === 'started' && e.object === 'CronJob/default/ticker');
    const tickRuns = async (): Promise<number[]> => (await starts()).map((e) => Number(e.message.split(' ')[1]));
    // Ticks come every 3 s; a busy host only takes longer to show three of them.
    const ticks = await poll(
      'three ticks run',
      async () => {
        const seen = (await tickRuns()).filter((t) => t * 1000 > appliedAt + 1_000);
        return seen.length >= 3 ? seen : undefined;
      },
      60_000,
    );
    const runs = await tickRuns();
    // A tick run twice is a safety failure: the message carries every event of the run, to tell how.
    const story = async (): Promise<string> => (await events()).map((e) => `${new Date(e.atMs).toISOString()} …${e.node.slice(-6)} ${e.kind} ${e.object}: ${e.message}`).join('\n');
    if (new Set(runs).size !== runs.length) assert.unreachable(`a tick ran twice: ${runs.join(', ')}; the cluster's events:\n${await story()}`);
    assert.ok(
      ticks.every((t) => t % 3 === 0),
      'ticks fall on the schedule',
    );
    // A run without its tick exits 1 and would be failed, not completed. The newest run's status may still be on its way.
    const ended = await poll(
      'a status for every run but the newest',
      async () => {
        const statuses = (await (await signedFetch(cluster.operatorKey)(`${first.api}/v1/objects?kind=Status`)).json()) as {
          key: string;
          fields: Record<string, { state: string }>;
        }[];
        const states = statuses.filter((s) => s.key.startsWith('Status/default/ticker.c')).flatMap((s) => Object.values(s.fields).map((f) => f.state));
        return states.length >= runs.length - 1 ? states : undefined;
      },
      20_000,
    );
    assert.ok(
      ended.every((state) => state === 'completed' || state === 'running' || state === 'pending'),
      `every run completed: ${ended.join(', ')}`,
    );
  } finally {
    await cluster.stop();
    await replicas.removeAll(cluster.nodes);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

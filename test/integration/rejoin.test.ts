import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import type { ShoalNodeProcess } from '../../testnet/local/shoal-process.js';

const root = mkdtempSync(join(tmpdir(), 'shoal-it-rejoin-'));
let cluster: LocalCluster | undefined;

test.after(async () => {
  await cluster?.stop(0);
  rmSync(root, { recursive: true, force: true });
});

const stateOf = (members: { id: string; state: string }[], id: string): string | undefined => members.find((m) => m.id === id)?.state;

test('a restarted node rejoins through the members it knew when its only seed is gone', async () => {
  cluster = await startLocalCluster({ dir: join(root, 'c'), nodes: 3, args: ['--runtime', 'process'] });
  const [seed, survivor, restarted] = cluster.nodes as [ShoalNodeProcess, ShoalNodeProcess, ShoalNodeProcess];
  for (const node of cluster.nodes) {
    await waitForMembers(node.api, cluster.operatorKey, (m) => m.length === 3 && m.every((x) => x.state === 'alive'), 60_000);
  }
  restarted.child.kill('SIGTERM');
  assert.is(await restarted.exited, 0);
  // The token's only seed goes too: the restarted node can find the cluster only through its snapshot.
  seed.child.kill('SIGTERM');
  assert.is(await seed.exited, 0);
  const back = await cluster.restart(restarted);
  assert.is(back.peerId, restarted.peerId);
  await waitForMembers(survivor.api, cluster.operatorKey, (m) => stateOf(m, back.peerId) === 'alive', 60_000);
  await waitForMembers(back.api, cluster.operatorKey, (m) => stateOf(m, survivor.peerId) === 'alive', 60_000);
  assert.is(back.child.exitCode, null, 'the restarted node did not give up on joining');
});

test.run();

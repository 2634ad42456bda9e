import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiClient, signedFetch, writeOps } from '../../cli/client.js';
import { foundCluster } from '../../node/cluster.js';
import type { RunningNode } from '../../node/daemon.js';
import { startSoloNode } from '../../testnet/local/solo-node.js';
import { loadOrCreateOperatorKey } from '../../node/operator-key.js';

/** A 16 MB tmpfs is a disk we can fill for real; mounting it needs root, which CI has. */
const mountPoint = mkdtempSync(join(tmpdir(), 'shoal-disk-'));
const keyDir = mkdtempSync(join(tmpdir(), 'shoal-disk-key-'));
let node: RunningNode | undefined;

test.before(() => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint]);
});

test.after(async () => {
  await node?.stop().catch(() => undefined);
  execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
  rmSync(keyDir, { recursive: true, force: true });
});

const write = (client: ApiClient, key: ReturnType<typeof loadOrCreateOperatorKey>, name: string) =>
  writeOps(client, key, [{ key: `Workload/default/${name}`, set: { 'spec.image': 'busybox' } }]);

test('a full disk refuses writes with a clear error and not-ready, keeps what is stored, and recovers once space is freed', async () => {
  const key = loadOrCreateOperatorKey(join(keyDir, 'operator.key'));
  const dataDir = join(mountPoint, 'node');
  mkdirSync(dataDir);
  await foundCluster(dataDir, [key.publicKey]);
  node = await startSoloNode(dataDir);
  const client = new ApiClient(node.apiUrl, key);
  await write(client, key, 'before');

  const filler = join(mountPoint, 'filler');
  try {
    writeFileSync(filler, Buffer.alloc(32 * 1024 * 1024));
  } catch {
    // ENOSPC is the point: the disk is now full
  }
  let refusal = '';
  for (let i = 0; i < 50 && refusal === ''; i++) {
    await write(client, key, `during-${i}`).catch((e: Error) => (refusal = e.message));
  }
  assert.match(refusal, 'cannot store writes right now (disk full)');
  assert.is((await fetch(`${node.apiUrl}/v1/ready`)).status, 503);
  assert.is((await signedFetch(key)(`${node.apiUrl}/v1/objects/Workload/default/before`)).status, 200, 'what was stored is still there');

  rmSync(filler);
  const deadline = Date.now() + 15_000;
  while ((await fetch(`${node.apiUrl}/v1/ready`)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.is((await fetch(`${node.apiUrl}/v1/ready`)).status, 200, 'ready again without a restart');
  await write(client, key, 'after');
  assert.is((await signedFetch(key)(`${node.apiUrl}/v1/objects/Workload/default/after`)).status, 200);
});

test.run();

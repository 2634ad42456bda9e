import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiClient, signedFetch, writeOps } from '../../cli/client.js';
import { loadManifests } from '../../cli/spec-file.js';
import { publicKeyOfPeerId } from '../../base/peer-id.js';
import { foundCluster } from '../../node/cluster.js';
import type { RunningNode } from '../../node/daemon.js';
import { startSoloNode } from '../../testnet/local/solo-node.js';
import { loadOrCreateOperatorKey, type OperatorKey } from '../../node/operator-key.js';
import { WallClock } from '../../node/wall-clock.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { poll } from '../../testnet/poll.js';

// The skew fault (POST /v1/faults/clock, node/api/faults.ts) sets the offset of the clock
// startNode hands to everything in the node (node/wall-clock.ts), instead of replacing
// Date.now for the whole process: what the node stamps and judges moves, Date.now does not.

const SKEW_MS = 30_000;
const dir = mkdtempSync(join(tmpdir(), 'shoal-clock-skew-'));
const dataDir = join(dir, 'node');
const realNow = Date.now;
let node: RunningNode | undefined;

test.after(async () => {
  await node?.stop().catch(() => undefined);
  if (node !== undefined) await new LocalReplicas('process').removeAll([{ dataDir, peerId: node.peerId }]);
  rmSync(dir, { recursive: true, force: true });
});

interface Written {
  key: string;
  lastWrite: { wallMs: number; author: string } | null;
}

const aheadBy = (wallMs: number): number => wallMs - Date.now();
const aboutSkewed = (wallMs: number): boolean => aheadBy(wallMs) > SKEW_MS - 5_000 && aheadBy(wallMs) < SKEW_MS + 5_000;

async function skew(at: RunningNode, key: OperatorKey, offsetMs: number): Promise<void> {
  const response = await signedFetch(key)(`${at.apiUrl}/v1/faults/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ offsetMs }) });
  assert.is(response.status, 200, await response.clone().text());
  assert.equal(await response.json(), { offsetMs });
}

async function authorHlc(at: RunningNode, key: OperatorKey): Promise<number> {
  const response = await signedFetch(key)(`${at.apiUrl}/v1/authors/${key.publicKey}`);
  assert.is(response.status, 200, await response.clone().text());
  return ((await response.json()) as { hlc: { wallMs: number } }).hlc.wallMs;
}

test("the skew fault moves the node's clock, and what the node stamps, schedules and judges by it, and nothing else", async () => {
  const key = loadOrCreateOperatorKey(join(dir, 'operator.key'));
  await foundCluster(dataDir, [key.publicKey]);
  const clock = new WallClock();
  node = await startSoloNode(dataDir, { faultInjection: true, clock });
  const running = node;
  const nodeKey = publicKeyOfPeerId(running.peerId) as string;
  assert.ok(Math.abs(aheadBy(await authorHlc(running, key))) < 5_000, 'unskewed, the HLC the node offers a writer is the real time');

  await skew(running, key, SKEW_MS);
  assert.is(clock.offsetMs, SKEW_MS, 'the route sets the offset of the clock the node was given');
  assert.is(Date.now, realNow, 'Date.now is not replaced');
  const offered = await authorHlc(running, key);
  assert.ok(aboutSkewed(offered), `the HLC the node offers a writer runs ${SKEW_MS} ms ahead (${aheadBy(offered)} ms)`);

  // A workload, so that the node writes: its scheduler's placement and its agent's status, signed by the node.
  const [workload] = loadManifests('apiVersion: shoal/v1\nkind: Workload\nmetadata: {name: skewed}\nspec:\n  image: ignored:1\n  command: [sleep, "300"]\n', 'skewed.yaml');
  if (workload === undefined) throw new Error('no workload');
  await writeOps(new ApiClient(running.apiUrl, key), key, [{ key: workload.key, set: workload.fields }]);
  for (const kind of ['Placement', 'Status']) {
    const written = await poll(
      `a ${kind} written by the node`,
      async () => {
        const objects = (await (await signedFetch(key)(`${running.apiUrl}/v1/objects?kind=${kind}`)).json()) as Written[];
        return objects.find((o) => o.key.includes('/skewed') && o.lastWrite?.author === nodeKey);
      },
      20_000,
    );
    const wallMs = written.lastWrite?.wallMs ?? 0;
    assert.ok(aboutSkewed(wallMs), `the node's ${kind} write is stamped ${SKEW_MS} ms ahead (${aheadBy(wallMs)} ms)`);
  }
  const events = (await (await signedFetch(key)(`${running.apiUrl}/v1/events`)).json()) as { atMs: number; kind: string; object: string }[];
  const placed = events.find((e) => e.kind === 'placed' && e.object === workload.key);
  const started = events.find((e) => e.kind === 'started' && e.object === workload.key);
  assert.ok(placed !== undefined && aboutSkewed(placed.atMs), `the scheduler's event is on the skewed clock (${placed === undefined ? 'none' : aheadBy(placed.atMs)} ms)`);
  assert.ok(started !== undefined && aboutSkewed(started.atMs), `the agent's event is on the skewed clock (${started === undefined ? 'none' : aheadBy(started.atMs)} ms)`);

  // Past the signature window (120 s either way), a request signed now is judged stale by the node's clock.
  await skew(running, key, 200_000);
  const refused = await signedFetch(key)(`${running.apiUrl}/v1/status`);
  assert.is(refused.status, 401);
  const body = (await refused.json()) as { error: string; detail: string };
  assert.is(body.error, 'stale');
  assert.match(body.detail, /signed 20\d s before this node's time/);
  clock.setOffset(0);
  assert.is((await signedFetch(key)(`${running.apiUrl}/v1/status`)).status, 200, 'back on time, the same signer is let in');
  await skew(running, key, 0);
  assert.is(clock.offsetMs, 0);
});

test.run();

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiClient, signedFetch, writeOps } from '../../cli/client.js';
import { loadManifests } from '../../cli/spec-file.js';
import { foundCluster } from '../../node/cluster.js';
import type { RunningNode } from '../../node/daemon.js';
import { startSoloNode } from '../../testnet/local/solo-node.js';
import type { PlacementJson } from '../../protocol/api/placements.js';
import { loadOrCreateOperatorKey } from '../../node/operator-key.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-agent-wakeup-'));
let node: RunningNode | undefined;

test.after(async () => {
  await node?.stop().catch(() => undefined);
  if (node !== undefined) await new LocalReplicas('process').removeAll([{ dataDir: join(dir, 'node'), peerId: node.peerId }]);
  rmSync(dir, { recursive: true, force: true });
});

const manifest = `apiVersion: shoal/v1
kind: Workload
metadata: {name: prompt}
spec:
  image: ignored:1
  command: [sleep, "300"]
  replicas: 1
`;

// The claim reaches the document before the plan that puts the slot on this node: an agent
// woken by the document alone would see the old plan and wait for its periodic pass.
test("a placement on this node starts its replica at once, not on the agent's next periodic pass", async () => {
  const key = loadOrCreateOperatorKey(join(dir, 'operator.key'));
  const dataDir = join(dir, 'node');
  await foundCluster(dataDir, [key.publicKey]);
  node = await startSoloNode(dataDir, { agentIntervalMs: 3_600_000 });
  const [workload] = loadManifests(manifest, 'prompt.yaml');
  if (workload === undefined) throw new Error('the manifest holds no workload');
  await writeOps(new ApiClient(node.apiUrl, key), key, [{ key: workload.key, set: workload.fields }]);
  let state: string | undefined;
  const deadline = Date.now() + 20_000;
  while (state !== 'running' && Date.now() < deadline) {
    const placements = (await (await signedFetch(key)(`${node.apiUrl}/v1/placements`)).json()) as PlacementJson[];
    state = placements.find((p) => p.name === 'prompt')?.state;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.is(state, 'running');
});

test.run();

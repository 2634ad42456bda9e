import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { signedFetch } from '../../cli/client.js';
import { startLocalCluster, type LocalCluster } from '../../testnet/local/cluster.js';
import type { ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { poll } from '../../testnet/poll.js';

/**
 * A node that runs nothing says so only every 11 usage rounds (each summary is a message
 * to every node), so what others list of it rests on SWIM: a member that joins makes
 * every node say its summary at its next round, and a node SWIM holds dead is not listed.
 */
const root = mkdtempSync(join(tmpdir(), 'shoal-it-usage-idle-'));
let cluster: LocalCluster | undefined;

test.after(async () => {
  await cluster?.stop(0);
  rmSync(root, { recursive: true, force: true });
});

/** Rounds of 10 s: the idle nodes' quiet repeat is 110 s after their first summary. */
const USAGE_INTERVAL_S = 10;
const QUIET_REPEAT_MS = 11 * USAGE_INTERVAL_S * 1000;
/** Gossipsub's message cache: five heartbeats of a second, and some. */
const GOSSIP_CACHE_MS = 8_000;

async function listed(node: ShoalNodeProcess, key: string): Promise<string[]> {
  const response = await signedFetch(key)(`${node.api}/v1/usage`);
  if (response.status !== 200) throw new Error(`/v1/usage: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { nodes: { node: string }[] }).nodes.map((n) => n.node).sort();
}

const listsExactly = (node: ShoalNodeProcess, key: string, nodes: readonly ShoalNodeProcess[]) => async (): Promise<true> => {
  const seen = await listed(node, key);
  const wanted = nodes.map((n) => n.peerId).sort();
  if (seen.join() === wanted.join()) return true;
  throw new Error(`it lists ${seen.map((id) => id.slice(-6)).join(', ') || 'none'}, not ${wanted.map((id) => id.slice(-6)).join(', ')}`);
};

test('a node that joins an idle cluster lists every node long before a quiet repeat; a killed node is not listed once SWIM holds it dead', async () => {
  cluster = await startLocalCluster({ dir: join(root, 'c'), nodes: 2, args: ['--runtime', 'process', '--usage-interval', String(USAGE_INTERVAL_S)] });
  const key = cluster.operatorKey;
  const [first, second] = cluster.nodes as [ShoalNodeProcess, ShoalNodeProcess];
  await poll('both idle nodes list both', listsExactly(first, key, [first, second]), 90_000);
  await poll('both idle nodes list both', listsExactly(second, key, [first, second]), 90_000);
  // Both have said "nothing" once; neither says it again for QUIET_REPEAT_MS unless a member comes up.
  const quietUntil = Date.now() + QUIET_REPEAT_MS - USAGE_INTERVAL_S * 1000;
  // Gossipsub offers a peer what it received in its last five heartbeats (IHAVE, then
  // IWANT): a joiner within that window would get those summaries without being answered.
  await new Promise((resolve) => setTimeout(resolve, GOSSIP_CACHE_MS));
  const third = await cluster.add('node-3');
  await poll('the joiner lists all three, from summaries the others said for it', listsExactly(third, key, [first, second, third]), quietUntil - Date.now());

  second.child.kill('SIGKILL');
  await poll('the first lists the other two once SWIM holds the killed one dead', listsExactly(first, key, [first, third]), 90_000);
});

test.run();

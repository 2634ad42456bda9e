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

/**
 * Rounds of 10 s. An idle node says "nothing" again at its first round stamped more than
 * 10 rounds after the last summary it said, so no repeat comes within 100 s of the stamp
 * of any summary a peer heard from it. Nine rounds leave a round for the last probe,
 * begun before that deadline, to answer, and give the joiner some 80 s to start, join
 * and hear one round: 8-13 s on a 2-core host at a load of 10 with rounds of 5 s, whose
 * 40 s would leave a loaded CI machine too little.
 */
const USAGE_INTERVAL_S = 10;
const QUIET_MS = 9 * USAGE_INTERVAL_S * 1000;
/** How long a peer keeps a summary that names no replica, from its arrival, which is no earlier than its stamp (EMPTY_KEPT_ROUNDS, node/usage/usage-service.ts). */
const EMPTY_KEPT_MS = 24 * USAGE_INTERVAL_S * 1000;

interface Entry {
  node: string;
  /** When that node sampled: all the nodes read this host's clock. */
  atMs: number;
}

async function listed(node: ShoalNodeProcess, key: string): Promise<Entry[]> {
  const response = await signedFetch(key)(`${node.api}/v1/usage`);
  if (response.status !== 200) throw new Error(`/v1/usage: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { nodes: Entry[] }).nodes;
}

/** What `node` lists once it is exactly `nodes`, those of them in `fresh.nodes` stamped at `fresh.sinceMs` or later. */
const listsExactly =
  (node: ShoalNodeProcess, key: string, nodes: readonly ShoalNodeProcess[], fresh: { nodes: readonly ShoalNodeProcess[]; sinceMs: number } = { nodes: [], sinceMs: 0 }) =>
  async (): Promise<Entry[]> => {
    const seen = await listed(node, key);
    const ids = seen.map((n) => n.node).sort();
    const wanted = nodes.map((n) => n.peerId).sort();
    if (ids.join() !== wanted.join()) throw new Error(`it lists ${ids.map((id) => id.slice(-6)).join(', ') || 'none'}, not ${wanted.map((id) => id.slice(-6)).join(', ')}`);
    const stale = seen.filter((n) => n.atMs < fresh.sinceMs && fresh.nodes.some((f) => f.peerId === n.node));
    if (stale.length === 0) return seen;
    throw new Error(`it lists ${stale.map((n) => `${n.node.slice(-6)} stamped ${fresh.sinceMs - n.atMs} ms before it began`).join(', ')}`);
  };

const stampOf = (entries: readonly Entry[], node: ShoalNodeProcess): number => {
  const entry = entries.find((n) => n.node === node.peerId);
  if (entry === undefined) throw new Error(`${node.peerId.slice(-6)} is not listed`);
  return entry.atMs;
};

test('a node that joins an idle cluster lists every node long before a quiet repeat; a killed node is not listed once SWIM holds it dead', async () => {
  cluster = await startLocalCluster({ dir: join(root, 'c'), nodes: 2, args: ['--runtime', 'process', '--usage-interval', String(USAGE_INTERVAL_S)] });
  const key = cluster.operatorKey;
  const [first, second] = cluster.nodes as [ShoalNodeProcess, ShoalNodeProcess];
  const byFirst = await poll('both idle nodes list both', listsExactly(first, key, [first, second]), 90_000);
  const bySecond = await poll('both idle nodes list both', listsExactly(second, key, [first, second]), 90_000);
  // Both have said "nothing" once; neither says it again for QUIET_MS unless a member comes up.
  // From the stamp the other heard: a node's own entry is its latest round, said or not.
  const quietUntil = Math.min(stampOf(bySecond, first), stampOf(byFirst, second)) + QUIET_MS;
  // Gossipsub offers a joiner what its peers received in their last heartbeats (IHAVE,
  // then IWANT): it could list the others from summaries said before it came. Only those
  // stamped after its start were said for it.
  const joinStartedAtMs = Date.now();
  const third = await cluster.add('node-3');
  await poll(
    'the joiner lists all three, from summaries the others said for it',
    listsExactly(third, key, [first, second, third], { nodes: [first, second], sinceMs: joinStartedAtMs }),
    quietUntil - Date.now(),
  );

  // Past EMPTY_KEPT_MS the first would drop the killed one's summary without SWIM: the wait ends before.
  const keptUntil = stampOf(await listed(first, key), second) + EMPTY_KEPT_MS;
  second.child.kill('SIGKILL');
  await poll('the first lists the other two once SWIM holds the killed one dead', listsExactly(first, key, [first, third]), Math.min(90_000, keptUntil - Date.now()));
});

test.run();

import Dockerode from 'dockerode';
import { members } from './node-api.js';
import type { Testnet, TestnetNode } from './testnet.js';

export interface NodeStatusRow {
  node: TestnetNode;
  /** Docker's word: running, paused, exited, ... or `missing`. */
  container: string;
  /** SWIM state as `observer` sees it: alive, suspect, dead, left, or unknown. */
  member: string;
}

/** Each node's container state, and its member state as the first node that answers sees it. */
export async function testnetStatus(testnet: Testnet): Promise<{ observer: string | undefined; rows: NodeStatusRow[] }> {
  const docker = new Dockerode();
  const containers = await Promise.all(
    testnet.nodes.map((n) =>
      docker
        .getContainer(n.container)
        .inspect()
        .then(
          (i) => i.State.Status,
          () => 'missing',
        ),
    ),
  );
  let observer: string | undefined;
  let states = new Map<string, string>();
  for (const [i, node] of testnet.nodes.entries()) {
    if (containers[i] !== 'running') continue;
    const seen = await members(node.api, testnet.signer).catch(() => undefined);
    if (seen === undefined) continue;
    observer = node.name;
    states = new Map(seen.map((m) => [m.id, m.state]));
    break;
  }
  return { observer, rows: testnet.nodes.map((node, i) => ({ node, container: containers[i] ?? 'missing', member: states.get(node.peerId) ?? 'unknown' })) };
}

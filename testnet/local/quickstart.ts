import '../../node/polyfill.js';
import { join } from 'node:path';
import { packageRoot } from '../../node/package-root.js';
import { startLocalCluster, waitForMembers } from './cluster.js';
import { runShoal } from './shoal-process.js';

/**
 * `npm run quickstart`: three `shoal` nodes on loopback, joined through the first,
 * then the member list as `shoal nodes` prints it. Ctrl-C leaves gracefully.
 * With --once it stops after showing the members.
 */
const size = 3;
const cluster = await startLocalCluster({ dir: join(packageRoot(), '.shoal-local'), nodes: size });
const stop = async (): Promise<never> => {
  await cluster.stop();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

try {
  const first = cluster.nodes[0]!;
  await waitForMembers(first.api, (m) => m.filter((x) => x.state === 'alive').length === size, 20_000);
  console.log(`A ${size}-node Shoal cluster runs on loopback (data in ${cluster.dir}).\n`);
  for (const node of cluster.nodes) console.log(`  ${node.peerId}  API ${node.api}`);
  const api = first.api.replace(/^http:\/\//, '');
  console.log(`\n$ shoal nodes --api ${api}`);
  console.log((await runShoal(['nodes', '--api', api])).stdout);
} catch (e) {
  console.error(`quickstart failed: ${(e as Error).message}`);
  await cluster.stop(0);
  process.exit(1);
}

if (process.argv.includes('--once')) await stop();
console.log('Press Ctrl-C to stop the cluster (each node leaves gracefully).');

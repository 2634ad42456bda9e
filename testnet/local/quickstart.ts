import '../../node/polyfill.js';
import { join } from 'node:path';
import { packageRoot } from '../../node/package-root.js';
import { startLocalCluster, waitForMembers } from './cluster.js';
import { runShoal } from './shoal-process.js';

/**
 * `npm run quickstart`: three `shoal` nodes on loopback, joined through the first; the
 * member list; a workload applied on the first node and read back from the last.
 * Ctrl-C leaves gracefully. With --once it stops after showing all that.
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
  const last = cluster.nodes[cluster.nodes.length - 1]!.api.replace(/^http:\/\//, '');
  const manifest = join(packageRoot(), 'examples', 'web.yaml');
  await show(['nodes', '--api', api]);
  await show(['apply', '-f', manifest, '--api', api, '--key', cluster.operatorKey]);
  await waitForObject(cluster.nodes[cluster.nodes.length - 1]!.api, 'Workload/default/web');
  await show(['get', 'workloads', '--api', last]);
} catch (e) {
  console.error(`quickstart failed: ${(e as Error).message}`);
  await cluster.stop(0);
  process.exit(1);
}

/** Runs `shoal ARGS` and prints it as a terminal would. */
async function show(args: string[]): Promise<void> {
  console.log(`\n$ shoal ${args.join(' ').replace(packageRoot() + '/', '')}`);
  const result = await runShoal(args);
  if (result.code !== 0) throw new Error(`shoal ${args[0]} failed: ${result.stderr}`);
  process.stdout.write(result.stdout);
}

async function waitForObject(api: string, key: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await fetch(`${api}/v1/objects/${key}`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`${key} did not reach ${api}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

if (process.argv.includes('--once')) await stop();
console.log('Press Ctrl-C to stop the cluster (each node leaves gracefully).');

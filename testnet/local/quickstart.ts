import '../../node/polyfill.js';
import Dockerode from 'dockerode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configPath, loadConfig, saveConfig } from '../../cli/contexts.js';
import { packageRoot } from '../../node/package-root.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../images/busybox-image.js';
import { startLocalCluster, waitForMembers } from './cluster.js';
import { LocalReplicas } from './replicas.js';
import { runShoal } from './shoal-process.js';
import { signedFetch } from '../../cli/client.js';

/**
 * `npm run quickstart`: three `shoal` nodes on loopback, joined through the first; the
 * member list; a workload applied on the first node, scheduled by the nodes' auctions,
 * and its replicas running, as the last node sees them. Replicas run on Docker where an
 * engine answers (from a busybox image built on this host), else as plain processes.
 * Ctrl-C leaves gracefully and removes the replicas. With --once it stops after that.
 */
const size = 3;
const CONTEXT = 'quickstart';
const runtime = await chooseRuntime();
const replicas = new LocalReplicas(runtime);
const cluster = await startLocalCluster({ dir: join(packageRoot(), '.shoal-local'), nodes: size, args: ['--runtime', runtime] });
const stop = async (code: number): Promise<never> => {
  await cluster.stop();
  await replicas.removeAll(cluster.nodes);
  process.exit(code);
};
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

try {
  const first = cluster.nodes[0]!;
  const last = cluster.nodes[cluster.nodes.length - 1]!;
  await waitForMembers(first.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === size, 20_000);
  console.log(`A ${size}-node Shoal cluster runs on loopback (data in ${cluster.dir}); replicas run on ${runtime === 'docker' ? 'Docker' : 'plain processes'}.\n`);
  for (const node of cluster.nodes) console.log(`  ${node.peerId}  API ${node.api}`);
  saveQuickstartContext();
  console.log(`\nContext ${CONTEXT} (in ${configPath()}) reaches these nodes with the cluster's operator key: \`shoal get workloads --context ${CONTEXT}\`.`);
  await show(['nodes', '--api', first.apiAddress, '--context', CONTEXT]);
  await show(['apply', '-f', join(packageRoot(), 'examples', 'hello.yaml'), '--api', first.apiAddress, '--context', CONTEXT]);
  await waitForRunning(last.api, 3);
  await show(['get', 'workloads', '--api', last.apiAddress, '--context', CONTEXT]);
  await show(['get', 'placements', '--api', last.apiAddress, '--context', CONTEXT]);
} catch (e) {
  console.error(`quickstart failed: ${(e as Error).message}`);
  await stop(1);
}

/** The CLI's way to this cluster: every node, and the operator key `shoal init` made; the current context unless one is set. */
function saveQuickstartContext(): void {
  const config = loadConfig();
  config.contexts[CONTEXT] = { key: cluster.operatorKey, nodes: cluster.nodes.map((n) => ({ api: n.apiAddress })) };
  config.current ??= CONTEXT;
  saveConfig(config);
}

async function chooseRuntime(): Promise<'docker' | 'process'> {
  try {
    const docker = new Dockerode({ timeout: 3_000 });
    await docker.ping();
    const present = (await docker.listImages({ filters: { reference: [BUSYBOX_IMAGE] } })).length > 0;
    if (!present && !existsSync('/bin/busybox')) return 'process';
    await ensureBusyboxImage(new Dockerode());
    return 'docker';
  } catch {
    return 'process';
  }
}

/** Runs `shoal ARGS` and prints it as a terminal would. */
async function show(args: string[]): Promise<void> {
  console.log(`\n$ shoal ${args.join(' ').replace(`${packageRoot()}/`, '')}`);
  const result = await runShoal(args);
  if (result.code !== 0) throw new Error(`shoal ${args[0]} failed: ${result.stderr}`);
  process.stdout.write(result.stdout);
}

async function waitForRunning(api: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const placements = (await (await signedFetch(cluster.operatorKey)(`${api}/v1/placements`)).json()) as { state: string }[];
    if (placements.filter((p) => p.state === 'running').length === count) return;
    if (Date.now() > deadline) throw new Error(`the replicas did not all run within 30 s: ${JSON.stringify(placements)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

if (process.argv.includes('--once')) await stop(0);
console.log('\nPress Ctrl-C to stop the cluster (each node leaves gracefully; the replicas are removed).');

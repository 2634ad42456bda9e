import type Dockerode from 'dockerode';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { NodeEvent } from '../protocol/api/events.js';
import type { ImagesJson } from '../protocol/api/images.js';
import type { PlacementJson } from '../protocol/api/placements.js';
import { noiseImage } from '../testnet/images/noise-image.js';
import { startSideEngines, type SideEngines } from '../testnet/images/side-engines.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../testnet/local/cluster.js';
import type { ShoalNodeProcess } from '../testnet/local/shoal-process.js';
import { get, holds, machine, saveLoad, shoal } from './image-bench-kit.js';
import { round } from './stats.js';

/**
 * `npm run bench:image-update [-- --filler-mib 32]`: what an app update moves (issue 18,
 * layer by layer). Version 1 is busybox, FILLER MiB of a library layer and nothing more;
 * version 2 is version 1 plus a small layer of its own, as a rebuilt app on an unchanged
 * base is. node-2 runs version 1 (fetched whole from node-1), then the workload is
 * updated to version 2: the bytes node-1 served for it and the time from `shoal apply` to
 * version 2 running, beside `docker save | docker load` of version 2 into a third engine
 * that holds version 1 too (the same start), in the same run.
 */
const { values: flags } = parseArgs({ options: { 'filler-mib': { type: 'string', default: '32' } } });
const FILLER_BYTES = Number(flags['filler-mib']) * 2 ** 20;
const MB = 1e6;

const root = mkdtempSync(join(tmpdir(), 'shoal-bench-image-update-'));
let engines: SideEngines | undefined;
let cluster: LocalCluster | undefined;

const progress = (what: string, value: unknown): void => console.error(`${new Date().toISOString().slice(11, 19)} ${what} ${JSON.stringify(value)}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const workload = (image: string): string => `apiVersion: shoal/v1
kind: Workload
metadata: {name: app}
spec:
  image: ${image}
  replicas: 1
  command: [sh, -c, "while true; do sleep 1; done"]
  resources: {cpu: 20m, memory: 8Mi}
  placement:
    constraints: [{key: site, operator: "==", value: node-2}]
`;

async function apply(node: ShoalNodeProcess, image: string): Promise<void> {
  const file = join(root, 'app.yaml');
  writeFileSync(file, workload(image));
  await shoal(node, ['apply', '-f', file]);
}

/** Waits for the replica of `app` on node-2 to run `id`; its milliseconds since `startMs`. */
async function runningOn(n2: ShoalNodeProcess, e2: Dockerode, id: string, startMs: number): Promise<number> {
  for (const deadline = Date.now() + 600_000; Date.now() < deadline; await sleep(100)) {
    const placements = await get<PlacementJson[]>(n2, '/v1/placements');
    const running = placements.some((p) => p.name === 'app' && p.node === n2.peerId && p.state === 'running');
    const containers = await e2.listContainers();
    if (running && containers.some((c) => c.ImageID === id)) return Date.now() - startMs;
  }
  throw new Error(`app did not run ${id} on node-2 within 10 minutes`);
}

const servedBy = async (node: ShoalNodeProcess): Promise<number> => Object.values((await get<ImagesJson>(node, '/v1/images')).servedBytes).reduce((a, b) => a + b, 0);

try {
  engines = await startSideEngines(3);
  const [e1, e2, e3] = engines.engines.map((e) => e.docker) as [Dockerode, Dockerode, Dockerode];
  const info = await machine(e1);
  progress('machine', info);
  const v1 = await noiseImage(e1, 'update/app:1', 'v1', FILLER_BYTES);
  // Version 2: version 1 and one small file more, committed on top (its own layer).
  const container = await e1.createContainer({ Image: 'update/app:1', Cmd: ['sh', '-c', 'echo v2 > /version'], HostConfig: { NetworkMode: 'none' } });
  await container.start();
  await container.wait();
  await container.commit({ repo: 'update/app', tag: '2' });
  await container.remove({ force: true });
  const v2 = (await e1.getImage('update/app:2').inspect()).Id;

  const hosts = engines.engines.map((e) => e.dockerHost);
  cluster = await startLocalCluster({
    dir: join(root, 'cluster'),
    nodes: 2,
    args: ['--runtime', 'docker'],
    nodeArgs: (name) => ['--label', `site=${name}`],
    nodeEnv: (name) => ({ DOCKER_HOST: hosts[Number(name.split('-')[1]) - 1] }),
  });
  const named = (name: string): ShoalNodeProcess => cluster?.nodes.find((n) => n.dataDir.endsWith(name)) as ShoalNodeProcess;
  const [n1, n2] = [named('node-1'), named('node-2')];
  await waitForMembers(n1.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 2, 60_000);
  await shoal(n1, ['image', 'push', 'update/app:1']);
  await shoal(n1, ['image', 'push', 'update/app:2']);

  let startMs = Date.now();
  await apply(n1, 'update/app:1');
  const firstMs = await runningOn(n2, e2, v1, startMs);
  progress('version 1 runs on node-2', { seconds: firstMs / 1000 });
  const servedBefore = await servedBy(n1);
  startMs = Date.now();
  await apply(n1, 'update/app:2');
  const updateMs = await runningOn(n2, e2, v2, startMs);
  const shoalBytes = (await servedBy(n1)) - servedBefore;
  const fetched = (await get<NodeEvent[]>(n2, '/v1/events')).find((e) => e.kind === 'content-fetched' && e.object === v2);
  progress('version 2 runs on node-2', { seconds: updateMs / 1000, bytes: shoalBytes });

  // The same start for the baseline: version 1 in engine 3, then version 2 saved whole and loaded.
  await saveLoad(e1, e3, 'update/app:1');
  const docker = await saveLoad(e1, e3, 'update/app:2');
  if (!(await holds(e3, v2))) throw new Error('engine 3 does not hold version 2 after docker load');
  const results = {
    machine: { ...info, loadAverage1mAtEnd: round(loadavg()[0] ?? 0, 1) },
    config: { fillerMiB: FILLER_BYTES / 2 ** 20 },
    versionOneWholeS: round(firstMs / 1000, 2),
    update: {
      shoal: { bytesServed: shoalBytes, applyToRunningS: round(updateMs / 1000, 2), fetched: fetched?.message },
      dockerSaveLoad: { bytes: docker.bytes, seconds: round(docker.ms / 1000, 2) },
      bytesRatioShoalToDocker: round(shoalBytes / docker.bytes, 4),
    },
  };
  console.log(JSON.stringify(results, null, 2));
  console.error(
    `app update (1 small layer on ${flags['filler-mib']} MiB): shoal moved ${round(shoalBytes / MB, 2)} MB in ${results.update.shoal.applyToRunningS} s (apply to running), ` +
      `docker save|load ${round(docker.bytes / MB, 2)} MB in ${results.update.dockerSaveLoad.seconds} s (transfer alone); bytes x${results.update.bytesRatioShoalToDocker}`,
  );
} finally {
  await cluster?.stop().catch((e: Error) => console.error(`stopping the cluster: ${e.message}`));
  await engines?.stop().catch((e: Error) => console.error(`stopping the engines: ${e.message}`));
  rmSync(root, { recursive: true, force: true });
}

import type Dockerode from 'dockerode';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { Transform } from 'node:stream';
import { signedFetch } from '../cli/client.js';
import type { Bandwidth } from '../node/content/bandwidth.js';
import { followProgress } from '../testnet/docker/docker-progress.js';
import { runShoal, type ShoalNodeProcess } from '../testnet/local/shoal-process.js';
import { round } from './stats.js';

/** What the image benches share (bench/images.ts, bench/image-update.ts): a node's API, the CLI, the engines, the machine. */

export async function get<T>(node: ShoalNodeProcess, path: string): Promise<T> {
  return (await (await signedFetch(node.operatorKey as string)(`${node.api}${path}`)).json()) as T;
}

export async function shoal(node: ShoalNodeProcess, args: string[]): Promise<void> {
  const run = await runShoal([...args, '--api', node.apiAddress, '--key', node.operatorKey as string], { timeoutMs: 60_000 });
  if (run.code !== 0) throw new Error(`shoal ${args.join(' ')}: ${run.stderr}`);
}

export async function holds(engine: Dockerode, id: string): Promise<boolean> {
  return engine
    .getImage(id)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/**
 * `docker save REFERENCE` from `from` piped into `docker load` on `to` (the engines' API,
 * as the CLI uses it), through `uplink` where given: wall clock and bytes of the archive.
 */
export async function saveLoad(from: Dockerode, to: Dockerode, reference: string, uplink?: Bandwidth): Promise<{ ms: number; bytes: number }> {
  const startedMs = performance.now();
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (uplink === undefined) done(null, chunk);
      else uplink.take(chunk.length).then(() => done(null, chunk), done);
    },
  });
  const archive = await from.getImage(reference).get();
  archive.on('error', (e: Error) => meter.destroy(e));
  archive.pipe(meter);
  await followProgress(to, await to.loadImage(meter, { quiet: true }), `docker load of ${reference}`);
  if (!(await holds(to, reference))) throw new Error(`${reference} is not in the engine after docker load`);
  return { ms: performance.now() - startedMs, bytes };
}

export async function machine(docker: Dockerode) {
  const version = await docker.version();
  // A copy outside the repository (an export of a commit, say) names its commit in SHOAL_COMMIT.
  const git = (args: string[]): string | undefined => {
    try {
      return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  return {
    cores: cpus().length,
    model: cpus()[0]?.model,
    memoryGiB: round(totalmem() / 2 ** 30, 0),
    kernel: release(),
    node: process.version,
    docker: { engine: version.Version, api: version.ApiVersion },
    date: new Date().toISOString(),
    commit: process.env.SHOAL_COMMIT ?? git(['rev-parse', '--short', 'HEAD']) ?? 'unknown',
    uncommitted: process.env.SHOAL_COMMIT === undefined ? (git(['status', '--porcelain']) ?? '').split('\n').filter((l) => l !== '').length : 0,
    loadAverage1mAtStart: round(loadavg()[0] ?? 0, 1),
  };
}

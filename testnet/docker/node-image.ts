import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { packageRoot } from '../../node/package-root.js';
import { shoalLaunch } from '../../node/shoal-launch.js';
import { appHash, appPaths, ensureAppBuilt } from './app-files.js';
import { followProgress, hasImage } from './docker-progress.js';
import { ensureNodeBaseImage } from './node-base-image.js';

export const NODE_IMAGE_REPO = 'shoal/node';
/** Where a node keeps its data in the image; SHOAL_DATA_DIR points there, so `docker exec C shoal token` works. */
export const NODE_DATA_DIR = '/data';

// bin/shoal.js passes its environment and V8 flags through `env -S`, which busybox's env
// lacks: the wrapper sets the same, read from that line.
const wrapper = (root: string): string => {
  const { env, nodeFlags } = shoalLaunch(root);
  const exports = Object.entries(env).map(([name, value]) => `export ${name}='${value}'\n`);
  return `#!/bin/sh\n${exports.join('')}exec node ${nodeFlags.join(' ')} /app/bin/shoal.js "$@"\n`;
};

// Dependencies first: they change least, so the engine's layer cache keeps them.
const dockerfile = (base: string): string => `FROM ${base}
COPY node_modules /app/node_modules
COPY package.json /app/package.json
COPY bin /app/bin
COPY dist /app/dist
COPY shoal /usr/local/bin/shoal
ENV SHOAL_DATA_DIR=${NODE_DATA_DIR}
WORKDIR /app
ENTRYPOINT ["shoal"]
CMD ["start"]
`;

/**
 * The image every testnet node runs: a Node base (see node-base-image.ts) plus this
 * repository's compiled app, built locally with no registry. Tagged `shoal/node:<hash of
 * the app and the base>`, so an unchanged checkout reuses the image it built before.
 */
export async function ensureNodeImage(docker: Dockerode, log: (line: string) => void = () => undefined): Promise<string> {
  const root = packageRoot();
  ensureAppBuilt(root, log);
  const base = await ensureNodeBaseImage(docker);
  const paths = appPaths(root);
  const tag = `${NODE_IMAGE_REPO}:${appHash(root, base, paths)}`;
  if (await hasImage(docker, tag)) return tag;
  log(`building ${tag} from ${base}`);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-node-image-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), dockerfile(base));
    writeFileSync(join(dir, 'shoal'), wrapper(root), { mode: 0o755 });
    await build(docker, tag, ['-C', dir, 'Dockerfile', 'shoal', '-C', root, ...paths]);
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `docker build` with a context tar streamed straight from `tar`, so no copy of node_modules is made. */
async function build(docker: Dockerode, tag: string, tarArgs: string[]): Promise<void> {
  const tar = spawn('tar', ['-c', '-f', '-', ...tarArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const tarDone = new Promise<number | null>((resolve) => tar.on('close', resolve));
  const stream = await docker.buildImage(tar.stdout, { t: tag, rm: true, forcerm: true });
  await followProgress(docker, stream, `docker build of ${tag}`);
  const code = await tarDone;
  if (code !== 0) throw new Error(`tar of the build context failed (${code}): ${stderr.trim()}`);
}

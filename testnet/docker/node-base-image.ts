import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type Dockerode from 'dockerode';
import { followProgress, hasImage, splitTag } from './docker-progress.js';

/** The official image, used as it is wherever someone has loaded or pulled it. */
export const OFFICIAL_NODE_IMAGE = 'node:20-slim';
const BUSYBOX = '/bin/busybox';

/**
 * An image that runs Node: `node:20-slim` when the engine has it, else one imported from
 * this host's own `node` binary and the shared libraries `ldd` lists (no registry is
 * needed), with busybox for a shell. The tag names the Node version and is the cache.
 */
export async function ensureNodeBaseImage(docker: Dockerode): Promise<string> {
  if (await hasImage(docker, OFFICIAL_NODE_IMAGE)) return OFFICIAL_NODE_IMAGE;
  const tag = `shoal/node-base:${process.version}`;
  if (await hasImage(docker, tag)) return tag;
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing; the node image's shell comes from it: apt-get install -y busybox-static`);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-node-base-'));
  try {
    const rootfs = join(dir, 'rootfs');
    buildRootfs(rootfs);
    const tarball = join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', rootfs, '--owner=0', '--group=0', '--numeric-owner', '-cf', tarball, '.']);
    const { repo, tag: version } = splitTag(tag);
    const stream = await docker.importImage(tarball, { repo, tag: version, changes: ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["node"]'] });
    await followProgress(docker, stream, `docker import of ${tag}`);
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function buildRootfs(rootfs: string): void {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'usr/local/bin']) mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  // Scripts name /usr/bin/env and friends; one directory of applets serves every path.
  symlinkSync('bin', join(rootfs, 'sbin'));
  symlinkSync('../bin', join(rootfs, 'usr', 'bin'));
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => a && a !== 'busybox');
  for (const applet of applets) symlinkSync('busybox', join(rootfs, 'bin', applet));
  copyFileSync(process.execPath, join(rootfs, 'bin', 'node'));
  // Each library at the path the host's loader found it, which the image's loader searches too.
  for (const lib of sharedLibraries(process.execPath)) {
    mkdirSync(join(rootfs, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(rootfs, lib));
  }
}

/** `ldd`'s answer: `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)` and the loader itself. */
function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...out.matchAll(/(\/\S+) \(0x[0-9a-f]+\)/g)].map((m) => m[1] as string);
}

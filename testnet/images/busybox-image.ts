import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';

export const BUSYBOX_IMAGE = 'shoal/busybox:1';
const BUSYBOX = '/bin/busybox';

/**
 * No registry is reachable here, so images are built from the host: a root filesystem
 * holding Debian's static busybox and its applet links, imported with `docker import`.
 * The tag is the cache: an existing image is used as it is.
 */
export async function ensureBusyboxImage(docker: Dockerode, tag = BUSYBOX_IMAGE): Promise<string> {
  const existing = await docker.listImages({ filters: { reference: [tag] } });
  if (existing.length > 0) return tag;
  if (!existsSync(BUSYBOX)) {
    throw new Error(`${BUSYBOX} is missing; the test images are built from it: apt-get install -y busybox-static`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'shoal-busybox-'));
  try {
    const rootfs = join(dir, 'rootfs');
    for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'usr']) mkdirSync(join(rootfs, d), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    // Scripts name /usr/bin/env and friends; one directory of applets serves every path.
    symlinkSync('bin', join(rootfs, 'sbin'));
    symlinkSync('../bin', join(rootfs, 'usr', 'bin'));
    symlinkSync('../bin', join(rootfs, 'usr', 'sbin'));
    copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
    const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' })
      .split('\n')
      .filter((a) => a && a !== 'busybox');
    for (const applet of applets) symlinkSync('busybox', join(rootfs, 'bin', applet));
    const tarball = join(dir, 'rootfs.tar');
    // Root-owned inside the image even when a non-root user builds it; the same bytes in
    // every engine that builds it (times and order fixed), so images built on it share
    // their base layer as images from one registry do, and move layer by layer.
    execFileSync('tar', ['-C', rootfs, '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--sort=name', '-cf', tarball, '.']);
    const colon = tag.lastIndexOf(':');
    const [repo, version] = colon > tag.lastIndexOf('/') ? [tag.slice(0, colon), tag.slice(colon + 1)] : [tag, 'latest'];
    const stream = await docker.importImage(tarball, {
      repo,
      tag: version,
      changes: ['CMD ["sh"]', 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
    });
    // Once the engine has begun to stream progress, a failure arrives inside the stream,
    // not as an HTTP status.
    const progress = await new Promise<{ error?: string }[]>((resolve, reject) =>
      docker.modem.followProgress(stream, (e: Error | null, out: { error?: string }[]) => (e ? reject(e) : resolve(out))),
    );
    const failure = progress.find((p) => p.error !== undefined);
    if (failure) throw new Error(`docker import of ${tag} failed: ${failure.error}`);
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

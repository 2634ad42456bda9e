import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';

export const BUSYBOX_IMAGE = 'shoal/busybox:1';
const BUSYBOX = '/bin/busybox';

/**
 * No registry is reachable here, so images are built from the host: a root filesystem
 * holding Debian's static busybox and its applet links, imported with `docker import`.
 */
export async function ensureBusyboxImage(docker: Dockerode, tag = BUSYBOX_IMAGE): Promise<string> {
  const existing = await docker.listImages({ filters: { reference: [tag] } });
  if (existing.length > 0) return tag;
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: apt-get install -y busybox-static`);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-busybox-'));
  try {
    const rootfs = join(dir, 'rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    for (const d of ['tmp', 'etc', 'proc', 'sys', 'dev']) mkdirSync(join(rootfs, d));
    copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
    const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
    for (const applet of applets) symlinkSync('busybox', join(rootfs, 'bin', applet));
    const tarball = join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', rootfs, '-cf', tarball, '.']);
    const [repo, version] = tag.split(':') as [string, string];
    const stream = await docker.importImage(tarball, { repo, tag: version, changes: ['CMD ["/bin/sh"]', 'ENV PATH=/bin'] } as object);
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())));
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

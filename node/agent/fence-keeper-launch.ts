import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import { lockHolder } from '../data-dir.js';
import { shoalLaunch, type ShoalLaunch } from '../shoal-launch.js';
import { fenceKeeperLockPath } from './fence-record.js';

/** Starts the fence keeper unless one runs; where it runs decides what it outlives. */
export interface KeeperLauncher {
  ensure(): Promise<void>;
}

/** Node's arguments for the keeper: bin/shoal.js's own flags (the keeper idles, and small is what matters). */
const keeperCommand = (launch: ShoalLaunch, dataRoot: string): string[] => [...launch.nodeFlags, launch.script, 'fence-keeper', '--data-dir', dataRoot];

/** A detached process of its own: it outlives the node's process. */
class ProcessKeeperLauncher implements KeeperLauncher {
  constructor(
    private readonly dataRoot: string,
    private readonly log: Logger,
  ) {}

  async ensure(): Promise<void> {
    if (lockHolder(fenceKeeperLockPath(this.dataRoot)) !== undefined) return;
    const launch = shoalLaunch();
    const child = spawn(process.execPath, keeperCommand(launch, this.dataRoot), { detached: true, stdio: 'ignore', env: { ...process.env, ...launch.env } });
    child.on('error', (e) => this.log.warn({ error: String(e) }, 'could not start the fence keeper'));
    child.unref();
    this.log.info({ pid: child.pid }, 'fence keeper started');
  }
}

/**
 * A node that runs in a container beside the engine it drives would take a keeper
 * process down with it, while the replicas live on: the keeper gets a container of its
 * own instead, from the node's image, with the node's volumes (its data, the engine's
 * socket) and its labels, so whatever removes the node's containers removes it too.
 */
class ContainerKeeperLauncher implements KeeperLauncher {
  constructor(
    private readonly docker: Dockerode,
    private readonly node: Dockerode.ContainerInspectInfo,
    private readonly dataRoot: string,
    private readonly log: Logger,
  ) {}

  private get name(): string {
    return `shoal-fence-keeper-${this.node.Id.slice(0, 12)}`;
  }

  async ensure(): Promise<void> {
    const existing = await this.docker
      .getContainer(this.name)
      .inspect()
      .catch(() => undefined);
    if (existing?.State.Running === true) return;
    if (existing !== undefined) await this.docker.getContainer(this.name).remove({ force: true });
    const launch = shoalLaunch();
    const container = await this.docker.createContainer({
      name: this.name,
      Image: this.node.Image,
      Entrypoint: [process.execPath],
      Cmd: keeperCommand(launch, this.dataRoot),
      Env: [...(this.node.Config.Env ?? []), ...Object.entries(launch.env).map(([name, value]) => `${name}=${value}`)],
      Labels: { ...this.node.Config.Labels, 'io.shoal.fence-keeper': this.node.Id },
      // The engine's socket comes with the volumes; an engine reached over TCP needs the node's network.
      HostConfig: { VolumesFrom: [this.node.Id], NetworkMode: overTcp() ? this.node.HostConfig.NetworkMode : 'none', AutoRemove: true, Init: true },
    });
    await container.start();
    this.log.info({ container: this.name }, 'fence keeper started in a container of its own');
  }
}

const overTcp = (): boolean => /^(tcp|https?):/.test(process.env.DOCKER_HOST ?? '');

/**
 * The container this process runs in, as the engine at DOCKER_HOST knows it, if it does:
 * the engine bind-mounts the container's own hostname file at /etc/hostname. Only that
 * mount point counts: on a host, mountinfo also lists other containers' mounts.
 */
async function ownContainer(docker: Dockerode): Promise<Dockerode.ContainerInspectInfo | undefined> {
  let mountinfo: string;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  const id = /^\S+ \S+ \S+ \S*\/containers\/([0-9a-f]{64})\/hostname \/etc\/hostname /m.exec(mountinfo)?.[1];
  return id === undefined
    ? undefined
    : docker
        .getContainer(id)
        .inspect()
        .catch(() => undefined);
}

export async function keeperLauncher(runtime: 'docker' | 'process', dataRoot: string, log: Logger): Promise<KeeperLauncher> {
  if (runtime === 'docker') {
    // Loaded here, not at the top: a node on the process runtime never needs the Docker client.
    const { default: Dockerode } = await import('dockerode');
    const docker = new Dockerode();
    const node = await ownContainer(docker);
    if (node !== undefined) return new ContainerKeeperLauncher(docker, node, dataRoot, log);
  }
  return new ProcessKeeperLauncher(dataRoot, log);
}

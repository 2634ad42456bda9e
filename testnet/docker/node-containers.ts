import { spawn } from 'node:child_process';
import type Dockerode from 'dockerode';
import { NODE_DATA_DIR } from './node-image.js';
import { API_PORT, containerName, hostDockerSocket, P2P_PORT, TESTNET_LABEL, volumeName } from './resources.js';

export interface NodeContainerSpec {
  testnet: string;
  index: number;
  image: string;
  ip: string;
  preset: string;
  /** Absent for node 1, which holds the cluster from the start. */
  token?: string;
}

/**
 * A created (not started) node: its data on a named volume, the host engine's socket
 * mounted so replicas run as siblings on the host, a fixed address on the testnet network.
 * `--join-timeout 0`: a node restarted while its seed is down waits instead of exiting.
 */
export async function createNodeContainer(docker: Dockerode, spec: NodeContainerSpec): Promise<Dockerode.Container> {
  const volume = volumeName(spec.testnet, spec.index);
  await docker.createVolume({ Name: volume, Labels: { [TESTNET_LABEL]: spec.testnet } });
  return docker.createContainer({
    name: containerName(spec.testnet, spec.index),
    Image: spec.image,
    Entrypoint: ['shoal'],
    Cmd: [
      'start',
      ...['--data-dir', NODE_DATA_DIR, '--runtime', 'docker', '--enable-fault-injection', '--swim-preset', spec.preset],
      ...['--api', `0.0.0.0:${API_PORT}`, '--listen', `/ip4/0.0.0.0/tcp/${P2P_PORT}`, '--join-timeout', '0'],
      ...(spec.token === undefined ? [] : ['--join', spec.token]),
    ],
    Labels: { [TESTNET_LABEL]: spec.testnet },
    HostConfig: {
      Binds: [`${volume}:${NODE_DATA_DIR}`, `${hostDockerSocket()}:/var/run/docker.sock`],
      NetworkMode: spec.testnet,
      Init: true,
    },
    NetworkingConfig: { EndpointsConfig: { [spec.testnet]: { IPAMConfig: { IPv4Address: spec.ip } } } },
  });
}

/** Copies the host directory `dir` (less `exclude`) into the container's data volume, root-owned, before the node first starts. */
export async function copyIntoDataDir(container: Dockerode.Container, dir: string, exclude: readonly string[] = []): Promise<void> {
  const excluded = exclude.map((e) => `--exclude=./${e}`);
  const tar = spawn('tar', ['-C', dir, ...excluded, '--owner=0', '--group=0', '--numeric-owner', '-c', '-f', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<number | null>((resolve) => tar.on('close', resolve));
  await container.putArchive(tar.stdout, { path: NODE_DATA_DIR });
  const code = await done;
  if (code !== 0) throw new Error(`tar of ${dir} exited with ${code}`);
}

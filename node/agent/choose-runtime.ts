import { existsSync } from 'node:fs';
import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.js';
import { UserError } from '../errors.js';
import type { PeerImages } from './docker-runtime.js';
import { ProcessRuntime, type ProcessRuntimeOptions } from './process-runtime.js';
import type { ContainerRuntime, ServiceEnv } from './runtime.js';

export type RuntimeChoice = 'auto' | 'docker' | 'process';

const PING_TIMEOUT_MS = 3_000;

/**
 * The Docker client and runtime are loaded only for a node that uses an engine: the client
 * (dockerode, with ssh2 and gRPC beneath it) costs a node about 20 MB of memory for good.
 */
const dockerode = async (): Promise<typeof Dockerode> => (await import('dockerode')).default;

/** No engine to ask: DOCKER_HOST unset and no socket at the default path (a host without Docker). */
const noEngineSocket = (): boolean => process.env.DOCKER_HOST === undefined && !existsSync('/var/run/docker.sock');

async function engineAnswers(): Promise<boolean> {
  if (noEngineSocket()) return false;
  try {
    const Client = await dockerode();
    await new Client({ timeout: PING_TIMEOUT_MS }).ping();
    return true;
  } catch {
    return false;
  }
}

/** `auto` takes the Docker engine (DOCKER_HOST, else the default socket) where one answers, else plain processes. */
export async function chooseRuntime(
  choice: RuntimeChoice,
  replicasDir: string,
  log: Logger,
  options: {
    network?: string | undefined;
    serviceEnv?: ServiceEnv;
    dnsListening?: () => boolean;
    clock?: Clock;
    /** Images from peers for the engine chosen: called once, with the engine's client, if it is. */
    peers?: (docker: Dockerode) => PeerImages;
    /** The node's artifacts and its peers': the process runtime runs replicas in them (a Docker node refuses them). */
    artifacts?: ProcessRuntimeOptions['artifacts'];
  } = {},
): Promise<ContainerRuntime> {
  const { network, serviceEnv, dnsListening, clock, artifacts } = options;
  const processes = (): ProcessRuntime => new ProcessRuntime({ dir: replicasDir, log, serviceEnv, clock, ...(artifacts === undefined ? {} : { artifacts }) });
  if (choice === 'process') return processes();
  if (await engineAnswers()) {
    const [Client, { DockerRuntime }] = await Promise.all([dockerode(), import('./docker-runtime.js')]);
    const docker = new Client();
    const peers = options.peers?.(docker);
    return new DockerRuntime({ docker, log, serviceEnv, dnsListening, clock, ...(network === undefined ? {} : { network }), ...(peers === undefined ? {} : { peers }) });
  }
  if (choice === 'docker') throw new UserError(`--runtime docker, but no Docker engine answers at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'}`);
  log.warn('no Docker engine answers: replicas run as plain processes on this host');
  return processes();
}

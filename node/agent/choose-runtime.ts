import Dockerode from 'dockerode';
import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.js';
import { UserError } from '../errors.js';
import { DockerRuntime, type PeerImages } from './docker-runtime.js';
import { ProcessRuntime, type ProcessRuntimeOptions } from './process-runtime.js';
import type { ContainerRuntime, ServiceEnv } from './runtime.js';

export type RuntimeChoice = 'auto' | 'docker' | 'process';

const PING_TIMEOUT_MS = 3_000;

async function engineAnswers(): Promise<boolean> {
  try {
    await new Dockerode({ timeout: PING_TIMEOUT_MS }).ping();
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
    const docker = new Dockerode();
    const peers = options.peers?.(docker);
    return new DockerRuntime({ docker, log, serviceEnv, dnsListening, clock, ...(network === undefined ? {} : { network }), ...(peers === undefined ? {} : { peers }) });
  }
  if (choice === 'docker') throw new UserError(`--runtime docker, but no Docker engine answers at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'}`);
  log.warn('no Docker engine answers: replicas run as plain processes on this host');
  return processes();
}

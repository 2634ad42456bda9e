import { UserError } from '../../node/errors.js';

/** How a testnet names and labels its Docker resources, so `down` finds them all, even without a state file. */
export const TESTNET_LABEL = 'io.shoal.testnet';
export const DEFAULT_TESTNET = 'shoal-testnet';
export const P2P_PORT = 7370;
export const API_PORT = 7371;

export const nodeName = (index: number): string => `node-${index}`;
export const containerName = (testnet: string, index: number): string => `${testnet}-${nodeName(index)}`;
export const volumeName = (testnet: string, index: number): string => `${testnet}-${nodeName(index)}-data`;

/** A name Docker accepts for networks, containers and volumes, and a safe directory name. */
export function checkTestnetName(name: string): string {
  if (!/^[a-z0-9][a-z0-9_.-]{0,39}$/.test(name)) {
    throw new UserError(`invalid testnet name '${name}': lower-case letters, digits, '.', '_' and '-', at most 40`);
  }
  return name;
}

/** The engine's socket on this host, which each node mounts to run its replicas beside it. */
export function hostDockerSocket(): string {
  const host = process.env.DOCKER_HOST;
  if (host === undefined || host === '') return '/var/run/docker.sock';
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  throw new UserError(`DOCKER_HOST=${host} is not a unix socket: testnet nodes mount the engine's socket to run their replicas`);
}

import type Dockerode from 'dockerode';
import { removeIdleReplicasNetworks } from '../../node/agent/docker-runtime.js';
import { LABEL } from '../../node/agent/labels.js';
import { removeState } from './state-file.js';
import { TESTNET_LABEL } from './resources.js';

/** Removing what is already gone (404), or already being removed (409), is no error. */
const ignoreGone = (removal: Promise<unknown>): Promise<unknown> =>
  removal.catch((e: unknown) => {
    if (![404, 409].includes((e as { statusCode?: number }).statusCode ?? 0)) throw e;
  });

async function removeContainers(docker: Dockerode, label: string): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(containers.map((c) => ignoreGone(docker.getContainer(c.Id).remove({ force: true }))));
}

/**
 * Removes everything a testnet made, found by label, so it also cleans up after an `up`
 * that failed half-way or a lost state file. Nodes go first, so no agent starts a
 * replica after its cluster's replicas were removed.
 */
export async function teardown(docker: Dockerode, name: string, cluster: string | undefined): Promise<void> {
  const label = `${TESTNET_LABEL}=${name}`;
  await removeContainers(docker, label);
  if (cluster !== undefined) await removeContainers(docker, `${LABEL.cluster}=${cluster}`);
  const { Volumes } = await docker.listVolumes({ filters: { label: [label] } });
  await Promise.all((Volumes ?? []).map((v) => ignoreGone(docker.getVolume(v.Name).remove())));
  const networks = await docker.listNetworks({ filters: { label: [label] } });
  await Promise.all(networks.map((n) => ignoreGone(docker.getNetwork(n.Id).remove())));
  // The nodes' runtimes made the replicas' network on the host engine, without the testnet's label.
  await removeIdleReplicasNetworks(docker);
  removeState(name);
}

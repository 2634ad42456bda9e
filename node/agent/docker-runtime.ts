import Dockerode from 'dockerode';
import { pino, type Logger } from 'pino';
import type { DesiredReplica, ObservedReplica, ObservedState, PortMapping } from '../../protocol/agent/replica.js';
import { identityFromLabels, instanceName, LABEL, replicaLabels } from './labels.js';
import { containerExec, containerLogs } from './docker-streams.js';
import { filesArchive } from './file-archive.js';
import { ImageUnavailableError, StartHeldError, type ContainerRuntime, type ExecResult, type LogOptions, type ReplicaOwner } from './runtime.js';

export interface DockerRuntimeOptions {
  docker?: Dockerode;
  /** The user-defined bridge network replicas join; created on first use if missing. */
  network?: string;
  log?: Logger;
}

export const REPLICAS_NETWORK = 'shoal';

/** Runs each replica as a Docker container that carries its owner and identity in labels. */
export class DockerRuntime implements ContainerRuntime {
  readonly kind = 'docker';
  private readonly docker: Dockerode;
  private readonly network: string;
  private readonly log: Logger;
  private networkReady: Promise<string> | undefined;

  constructor(options: DockerRuntimeOptions = {}) {
    this.docker = options.docker ?? new Dockerode();
    this.network = options.network ?? REPLICAS_NETWORK;
    this.log = options.log ?? pino({ level: process.env.SHOAL_LOG_LEVEL ?? 'info' });
  }

  async list(owner: ReplicaOwner): Promise<ObservedReplica[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.cluster}=${owner.cluster}`, `${LABEL.node}=${owner.node}`] },
    });
    const observed = await Promise.all(containers.map((c) => this.observe(c.Id)));
    return observed.filter((r): r is ObservedReplica => r !== undefined);
  }

  async start(replica: DesiredReplica, owner: ReplicaOwner, mayRun: () => boolean = () => true): Promise<string> {
    await this.ensureImage(replica.spec.image);
    const network = await this.ensureNetwork();
    const container = await this.docker.createContainer(createOptions(replica, owner, network));
    try {
      // Secrets go into the container's own filesystem before it starts: no host path is
      // shared, so this works the same where the node itself runs in a container.
      if ((replica.spec.files ?? []).length > 0) await container.putArchive(await filesArchive(replica.spec.files ?? []), { path: '/' });
      if (!mayRun()) throw new StartHeldError(instanceName(replica, owner));
      await container.start();
    } catch (e) {
      // A container that never ran would linger as `created` and be listed as a replica; the
      // start's error is the one to report, so a failed clean-up is left to the next remove.
      await container.remove({ force: true }).catch(() => undefined);
      throw e;
    }
    this.log.info({ id: container.id, workload: replica.workload, slot: replica.slot, image: replica.spec.image }, 'container started');
    return container.id;
  }

  /** A container keeps its config: the replica is not needed. */
  async restart(id: string, _replica: DesiredReplica, mayRun: () => boolean = () => true): Promise<void> {
    if (!mayRun()) throw new StartHeldError(id);
    await ignoreStatus(this.docker.getContainer(id).start(), [304]);
  }

  async stop(id: string, graceMs: number): Promise<void> {
    await ignoreStatus(this.docker.getContainer(id).stop({ t: Math.ceil(graceMs / 1000) }), [304, 404]);
  }

  async remove(id: string, graceMs: number): Promise<void> {
    const container = this.docker.getContainer(id);
    await ignoreStatus(container.stop({ t: Math.ceil(graceMs / 1000) }), [304, 404]);
    // 409: a removal of the same container is already under way.
    await ignoreStatus(container.remove({ force: true }), [404, 409]);
    this.log.debug({ id }, 'container removed');
  }

  logs(id: string, options: LogOptions): AsyncIterable<Uint8Array> {
    return containerLogs(this.docker, id, options);
  }

  exec(id: string, command: readonly string[], timeoutMs: number): Promise<ExecResult> {
    return containerExec(this.docker, id, command, timeoutMs);
  }

  async close(): Promise<void> {}

  /** The container as a replica; undefined once it is gone or if its labels are not ours. */
  private async observe(id: string): Promise<ObservedReplica | undefined> {
    const info = await ignoreStatus(this.docker.getContainer(id).inspect(), [404]);
    return info === undefined ? undefined : observedReplica(info, this.network);
  }

  private async ensureImage(image: string): Promise<void> {
    if (await this.hasImage(image)) return;
    this.log.info({ image }, 'pulling image');
    try {
      await this.pull(image);
    } catch (e) {
      throw new ImageUnavailableError(image, (e as Error).message.trim());
    }
  }

  private async hasImage(image: string): Promise<boolean> {
    return (await ignoreStatus(this.docker.getImage(image).inspect(), [404])) !== undefined;
  }

  private async pull(image: string): Promise<void> {
    const stream = await this.docker.pull(image);
    // Once the engine streams progress, a failure arrives inside the stream, not as a status.
    const progress = await new Promise<{ error?: string }[]>((resolve, reject) =>
      this.docker.modem.followProgress(stream, (e: Error | null, out: { error?: string }[]) => (e ? reject(e) : resolve(out))),
    );
    const failure = progress.find((p) => p.error !== undefined);
    if (failure) throw new Error(failure.error);
  }

  /** The network's id: replicas join by id, since a name can stand for several networks. */
  private ensureNetwork(): Promise<string> {
    this.networkReady ??= this.resolveNetwork().catch((e: unknown) => {
      this.networkReady = undefined;
      throw e;
    });
    return this.networkReady;
  }

  /**
   * Docker lets two networks share a name, and CheckDuplicate does not stop two agents
   * that create one at the same moment (three nodes on one engine did). Every agent
   * takes the oldest of that name, then the lowest id, so all join the same one, and
   * removes the one it created if that is not it.
   */
  private async resolveNetwork(): Promise<string> {
    let created: string | undefined;
    if ((await this.networksNamed()).length === 0) {
      const network = await ignoreStatus(this.docker.createNetwork({ Name: this.network, Driver: 'bridge', CheckDuplicate: true }), [409]);
      created = network?.id;
      this.log.info({ network: this.network }, 'created the replicas network');
    }
    const [chosen] = await this.networksNamed();
    if (chosen === undefined) throw new Error(`network ${this.network} vanished as it was created`);
    if (created !== undefined && created !== chosen.Id) await ignoreStatus(this.docker.getNetwork(created).remove(), [403, 404, 409]);
    return chosen.Id;
  }

  private async networksNamed(): Promise<Dockerode.NetworkInspectInfo[]> {
    const all = await this.docker.listNetworks({ filters: { name: [this.network] } });
    return all.filter((n) => n.Name === this.network).sort((a, b) => a.Created.localeCompare(b.Created) || a.Id.localeCompare(b.Id));
  }
}

function createOptions(replica: DesiredReplica, owner: ReplicaOwner, network: string): Dockerode.ContainerCreateOptions {
  const { spec } = replica;
  return {
    name: instanceName(replica, owner),
    Image: spec.image,
    // As in Kubernetes: command replaces the image's entrypoint, args replace its CMD.
    Entrypoint: nonEmpty(spec.command),
    Cmd: nonEmpty(spec.args),
    Env: Object.entries(spec.env).map(([name, value]) => `${name}=${value}`),
    Labels: replicaLabels(replica, owner),
    ExposedPorts: Object.fromEntries(spec.ports.map((p) => [portKey(p), {}])),
    HostConfig: {
      // A shell as PID 1 ignores SIGTERM; with an init, stop takes ms, not the whole grace.
      Init: true,
      CapDrop: ['ALL'],
      CapAdd: spec.capabilities,
      SecurityOpt: ['no-new-privileges'],
      NanoCpus: spec.cpuMillis === undefined ? undefined : spec.cpuMillis * 1_000_000,
      Memory: spec.memoryBytes,
      // The agent restarts replicas itself, with back-off, and must see every exit.
      RestartPolicy: { Name: 'no' },
      PortBindings: portBindings(spec.ports),
      NetworkMode: network,
    },
  };
}

const nonEmpty = (list: string[] | undefined): string[] | undefined => (list !== undefined && list.length > 0 ? list : undefined);

const portKey = (p: PortMapping): string => `${p.containerPort}/${p.protocol}`;

/** A port without a host port gets an ephemeral one (HostPort ''), so status can report where it is. */
function portBindings(ports: PortMapping[]): Record<string, { HostPort: string }[]> {
  const bindings: Record<string, { HostPort: string }[]> = {};
  for (const p of ports) {
    (bindings[portKey(p)] ??= []).push({ HostPort: p.hostPort === undefined ? '' : String(p.hostPort) });
  }
  return bindings;
}

function observedReplica(info: Dockerode.ContainerInspectInfo, network: string): ObservedReplica | undefined {
  const identity = identityFromLabels(info.Config.Labels ?? {});
  if (identity === undefined) return undefined;
  const state = observedState(info.State.Status);
  return {
    id: info.Id,
    ...identity,
    state,
    exitCode: state === 'exited' ? info.State.ExitCode : undefined,
    ...runTimes(info.State, state),
    address: address(info, network),
    hostPorts: hostPorts(info),
  };
}

type RunTimes = Pick<ObservedReplica, 'startedAtMs' | 'finishedAtMs'>;

function runTimes(run: { StartedAt: string; FinishedAt: string }, state: ObservedState): RunTimes {
  const startedAtMs = timestamp(run.StartedAt);
  const finishedAtMs = state === 'exited' ? timestamp(run.FinishedAt) : undefined;
  if (startedAtMs === undefined || finishedAtMs === undefined) return { startedAtMs, finishedAtMs };
  // A fast exit carries containerd's exit time, which can precede the engine's own StartedAt.
  return { startedAtMs, finishedAtMs: Math.max(finishedAtMs, startedAtMs) };
}

function observedState(status: string): ObservedState {
  if (status === 'created') return 'created';
  return status === 'running' || status === 'paused' || status === 'restarting' ? 'running' : 'exited';
}

/** The engine writes 0001-01-01T00:00:00Z for a time that has not happened. */
function timestamp(iso: string): number | undefined {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function address(info: Dockerode.ContainerInspectInfo, network: string): string | undefined {
  const networks = info.NetworkSettings.Networks ?? {};
  const candidates = [networks[network], ...Object.values(networks)];
  return candidates.find((n) => n !== undefined && n.IPAddress !== '')?.IPAddress;
}

/** Each bound host port once, though the engine lists it for IPv4 and IPv6 apiece. */
function hostPorts(info: Dockerode.ContainerInspectInfo): number[] {
  const bindings = Object.values(info.NetworkSettings.Ports ?? {}).flatMap((b) => b ?? []);
  return [...new Set(bindings.map((b) => Number(b.HostPort)).filter((port) => port > 0))];
}

/**
 * Removes the replicas' networks nothing uses any more (the engine refuses while
 * something does); a runtime makes one again on demand. For the end of a local cluster
 * or testnet: replicas outlive their node, so the node's own shutdown leaves them.
 */
export async function removeIdleReplicasNetworks(docker: Dockerode): Promise<void> {
  for (const network of await docker.listNetworks({ filters: { name: [REPLICAS_NETWORK] } })) {
    if (network.Name === REPLICAS_NETWORK) await ignoreStatus(docker.getNetwork(network.Id).remove(), [403, 404, 409]);
  }
}

/** Resolves undefined where the engine answers with one of `statuses` (404 gone, 304 nothing to do...). */
async function ignoreStatus<T>(call: Promise<T>, statuses: number[]): Promise<T | undefined> {
  try {
    return await call;
  } catch (e) {
    if (statuses.includes((e as { statusCode?: number }).statusCode ?? 0)) return undefined;
    throw e;
  }
}

import Dockerode from 'dockerode';
import { pino, type Logger } from 'pino';
import type { DesiredReplica, ObservedReplica, ObservedState, PortMapping } from '../../protocol/agent/replica.js';
import { identityFromLabels, instanceName, LABEL, replicaLabels } from './labels.js';
import { containerExec, containerLogs } from './docker-streams.js';
import { filesArchive } from './file-archive.js';
import {
  ContentPendingError,
  ImageUnavailableError,
  StartHeldError,
  type ContainerRuntime,
  type ExecResult,
  type LogOptions,
  type ReplicaOwner,
  type ReplicaUsageSample,
  type ServiceEnv,
  type ServiceNetwork,
} from './runtime.js';
import { mapBounded } from '../usage/bounded.js';
import { dockerUsage } from '../usage/docker-stats.js';
import { ipv4ToNumber, type AddressPool } from '../../protocol/services/service-addresses.js';
import { namespaceOf } from '../../crdt/roles.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import type { Clock } from '../../base/clock.js';
import { hostClock } from '../wall-clock.js';
import { containerImage } from '../../protocol/images/reference.js';
import type { Availability } from '../content/content-service.js';

/** Where images the engine lacks come from besides a registry: the cluster's peers (node/content). */
export interface PeerImages {
  /** Whether the image of content `id` is in the engine, on its way, or could not be had lately. */
  availability(id: string): Promise<Availability>;
  /** Names the engine's image `id` by `reference`, as the operator pushed it. */
  tag(id: string, reference: string): Promise<void>;
}

const run = promisify(execFile);

export interface DockerRuntimeOptions {
  docker?: Dockerode;
  /** The user-defined bridge network replicas join; created on first use if missing. */
  network?: string;
  log?: Logger;
  serviceEnv?: ServiceEnv;
  /** Whether the node answers DNS on the bridge now: a replica is pointed at it only then, or it could resolve nothing. */
  dnsListening?: () => boolean;
  /** The node's wall clock (node/wall-clock.ts): a usage sample's time when the engine gives none. The host's by default. */
  clock?: Clock;
  /** Images from peers (node/content); without it, an image the engine lacks is pulled. */
  peers?: PeerImages;
}

export const REPLICAS_NETWORK = 'shoal';

/** Stats calls in flight at once: a node with many replicas must not open a connection per container every round. */
const STATS_IN_FLIGHT = 8;

interface ReplicasNetwork {
  id: string;
  /** The host's IPv4 address on the bridge; undefined for a network without one. */
  gateway: string | undefined;
  /** The IPv4 subnet, such as 172.18.0.0/16. */
  subnet: string | undefined;
  /** The bridge's interface on the host. */
  bridge: string;
}

/**
 * Services' addresses on a replicas network: the top quarter of its subnet (the broadcast
 * address aside). Docker gives containers addresses from the bottom up, so they meet only
 * past three quarters of a subnet in use.
 */
function bridgeServicePool(subnet: string): AddressPool | undefined {
  const match = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(subnet);
  const bits = Number(match?.[2]);
  if (match === null || !(bits >= 8 && bits <= 24)) return undefined;
  const size = 2 ** (32 - bits);
  return { first: ipv4ToNumber(match[1] as string) + (size * 3) / 4, size: size / 4 - 1, salt: '' };
}

/** `ip addr` on the host: an address already there (or already gone) is what was wanted. */
async function ipAddr(action: 'add' | 'del', address: string, bridge: string): Promise<void> {
  try {
    await run('ip', ['addr', action, `${address}/32`, 'dev', bridge]);
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? '';
    if (/File exists|Cannot assign requested address/.test(stderr)) return;
    throw new Error(`ip addr ${action} ${address} dev ${bridge}: ${stderr.trim() || (e as Error).message}`);
  }
}

/** The engine's answer to a container started on a network that no longer exists: 404, "network <id> not found". */
const isNetworkGone = (e: unknown): boolean => (e as { statusCode?: number }).statusCode === 404 && /network \S+ not found/.test(String((e as Error).message));

/** How replicas on `network` reach their node: its gateway for DNS, the top of its subnet for services. */
function servicesOn({ gateway, subnet, bridge }: ReplicasNetwork): ServiceNetwork | undefined {
  const pool = subnet === undefined ? undefined : bridgeServicePool(subnet);
  if (gateway === undefined || pool === undefined) return undefined;
  return { dnsAddress: gateway, pool, claim: (address) => ipAddr('add', address, bridge), release: (address) => ipAddr('del', address, bridge) };
}

/** The DNS search domains of a replica in `namespace`: `web` finds its own namespace's service, `web.other` another's. */
const dnsSearch = (namespace: string): string[] => [`${namespace}.svc.shoal`, 'svc.shoal'];

/** Runs each replica as a Docker container that carries its owner and identity in labels. */
export class DockerRuntime implements ContainerRuntime {
  readonly kind = 'docker';
  private readonly docker: Dockerode;
  private readonly network: string;
  private readonly log: Logger;
  private readonly serviceEnv: ServiceEnv | undefined;
  private readonly dnsListening: () => boolean;
  private readonly clock: Clock;
  private readonly peers: PeerImages | undefined;
  private networkReady: Promise<ReplicasNetwork> | undefined;

  constructor(options: DockerRuntimeOptions = {}) {
    this.docker = options.docker ?? new Dockerode();
    this.network = options.network ?? REPLICAS_NETWORK;
    this.log = options.log ?? pino({ level: process.env.SHOAL_LOG_LEVEL ?? 'info' });
    this.serviceEnv = options.serviceEnv;
    this.dnsListening = options.dnsListening ?? (() => false);
    this.clock = options.clock ?? hostClock;
    this.peers = options.peers;
  }

  async list(owner: ReplicaOwner): Promise<ObservedReplica[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.cluster}=${owner.cluster}`, `${LABEL.node}=${owner.node}`] },
    });
    const observed = await Promise.all(containers.map((c) => this.observe(c.Id)));
    return observed.filter((r): r is ObservedReplica => r !== undefined);
  }

  /** One stats call per running container, a few at once: the engine answers each from its cgroup without waiting a second. */
  async usage(owner: ReplicaOwner): Promise<ReplicaUsageSample[]> {
    const containers = await this.docker.listContainers({
      filters: { label: [`${LABEL.cluster}=${owner.cluster}`, `${LABEL.node}=${owner.node}`], status: ['running'] },
    });
    const samples = await mapBounded(containers, STATS_IN_FLIGHT, async (c) => {
      const identity = identityFromLabels(c.Labels ?? {});
      // 404, 409: gone or stopping since the list; the next round will not list it.
      const stats = identity === undefined ? undefined : await ignoreStatus(this.docker.getContainer(c.Id).stats({ stream: false, 'one-shot': true }), [404, 409]);
      if (identity === undefined || stats === undefined) return undefined;
      const { cpuNanos, memoryBytes, atMs } = dockerUsage(stats);
      return { id: c.Id, workload: identity.workload, slot: identity.slot, epoch: identity.epoch, cpuNanos, memoryBytes, atMs: atMs ?? this.clock.nowMs() };
    });
    return samples.filter((s): s is ReplicaUsageSample => s !== undefined);
  }

  /**
   * A spec that names an artifact is refused, not run without it: its command expects
   * the artifact's files in its working directory, and an image that happens to hold a
   * command of that name would run something else. The start fails (counted, backed off,
   * a rollout of it fails) with a sentence that says what to do.
   */
  async start(replica: DesiredReplica, owner: ReplicaOwner, mayRun: () => boolean = () => true): Promise<string> {
    if (replica.spec.artifact !== undefined) throw new Error(artifactRefusal(replica.spec.artifact));
    const image = await this.ensureImage(replica.spec.image, replica.imageId);
    return this.startOn(replica, owner, image, mayRun).catch((e: unknown) => {
      if (!isNetworkGone(e)) throw e;
      // Removed since it was resolved (`docker network prune`, another tool): made again,
      // and the start tried once more, rather than every start failing from now on.
      this.log.warn({ network: this.network }, 'the replicas network is gone; creating it again');
      this.networkReady = undefined;
      return this.startOn(replica, owner, image, mayRun);
    });
  }

  private async startOn(replica: DesiredReplica, owner: ReplicaOwner, image: string, mayRun: () => boolean): Promise<string> {
    const network = await this.ensureNetwork();
    const namespace = namespaceOf(replica.workload);
    const services = servicesOn(network);
    const injected = services === undefined ? {} : (this.serviceEnv?.(namespace, services) ?? {});
    const dns = this.dnsListening() && network.gateway !== undefined ? { server: network.gateway, search: dnsSearch(namespace) } : undefined;
    const container = await this.docker.createContainer(createOptions(replica, owner, image, network.id, dns, injected));
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

  /**
   * Makes the image present and says what to create the container from. An image of
   * known content (named by digest, or pushed under its tag) runs by its id: the engine's
   * copy if it has one, else a peer's, fetched in the background while the start waits
   * (ContentPendingError), then named by its tag; a tag pushed again to new content moves
   * the tag. Any other image is the engine's, or pulled from a registry.
   */
  private async ensureImage(image: string, id: string | undefined): Promise<string> {
    if (id === undefined || this.peers === undefined) {
      if (!(await this.hasImage(image))) await this.pullOrFail(image);
      return image;
    }
    // `name@sha256:<id>` names content, which the engine cannot look up by that name.
    const byDigest = containerImage(image, id) === id;
    if ((await this.imageIdOf(byDigest ? id : image)) === id) return byDigest ? id : image;
    if ((await this.imageIdOf(id)) === undefined) {
      const availability = await this.peers.availability(id);
      if (availability.state === 'fetching') throw new ContentPendingError(`image ${image}`, availability.message);
      if (availability.state === 'failed') throw new ImageUnavailableError(image, `no peer could give ${id}: ${availability.message}`);
    }
    if (!byDigest) await this.peers.tag(id, image);
    return id;
  }

  private async pullOrFail(image: string): Promise<void> {
    this.log.info({ image }, 'pulling image');
    try {
      await this.pull(image);
    } catch (e) {
      throw new ImageUnavailableError(image, (e as Error).message.trim());
    }
  }

  private async hasImage(image: string): Promise<boolean> {
    return (await this.imageIdOf(image)) !== undefined;
  }

  private async imageIdOf(image: string): Promise<string | undefined> {
    return (await ignoreStatus(this.docker.getImage(image).inspect(), [404]))?.Id;
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

  /**
   * The replicas network's gateway (this host's address on it, which every replica
   * reaches) for DNS, and the top of its subnet for services, each added to the bridge.
   */
  async serviceNetwork(_owner?: ReplicaOwner): Promise<ServiceNetwork | undefined> {
    return servicesOn(await this.ensureNetwork());
  }

  /** The network's id (replicas join by id, since a name can stand for several networks) and gateway. */
  private ensureNetwork(): Promise<ReplicasNetwork> {
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
  private async resolveNetwork(): Promise<ReplicasNetwork> {
    let created: string | undefined;
    if ((await this.networksNamed()).length === 0) {
      const network = await ignoreStatus(this.docker.createNetwork({ Name: this.network, Driver: 'bridge', CheckDuplicate: true }), [409]);
      created = network?.id;
      this.log.info({ network: this.network }, 'created the replicas network');
    }
    const [chosen] = await this.networksNamed();
    if (chosen === undefined) throw new Error(`network ${this.network} vanished as it was created`);
    if (created !== undefined && created !== chosen.Id) await ignoreStatus(this.docker.getNetwork(created).remove(), [403, 404, 409]);
    const ipv4 = (chosen.IPAM?.Config ?? []).find((c) => typeof c.Subnet === 'string' && /^\d+\.\d+\.\d+\.\d+\//.test(c.Subnet));
    // Docker names a user-defined bridge br-<first 12 of the id>, unless told otherwise.
    const bridge = chosen.Options?.['com.docker.network.bridge.name'] ?? `br-${chosen.Id.slice(0, 12)}`;
    return { id: chosen.Id, gateway: ipv4?.Gateway, subnet: ipv4?.Subnet, bridge };
  }

  private async networksNamed(): Promise<Dockerode.NetworkInspectInfo[]> {
    const all = await this.docker.listNetworks({ filters: { name: [this.network] } });
    return all.filter((n) => n.Name === this.network).sort((a, b) => a.Created.localeCompare(b.Created) || a.Id.localeCompare(b.Id));
  }
}

/** Why a Docker node does not start a replica that names an artifact. */
export const artifactRefusal = (artifact: string): string =>
  `artifact ${artifact}: artifacts run on the process runtime, and this node runs replicas as Docker containers; put the files in the image, or constrain the workload to nodes started with --runtime process`;

function createOptions(
  replica: DesiredReplica,
  owner: ReplicaOwner,
  image: string,
  network: string,
  dns: { server: string; search: string[] } | undefined,
  injectedEnv: Record<string, string>,
): Dockerode.ContainerCreateOptions {
  const { spec } = replica;
  return {
    name: instanceName(replica, owner),
    Image: image,
    // As in Kubernetes: command replaces the image's entrypoint, args replace its CMD.
    Entrypoint: nonEmpty(spec.command),
    Cmd: nonEmpty(spec.args),
    Env: Object.entries({ ...injectedEnv, ...spec.env }).map(([name, value]) => `${name}=${value}`),
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
      // The node answers DNS on the bridge for NAME.NAMESPACE.svc.shoal (and passes the
      // rest on); Docker's own resolver in the container asks it for what it does not know.
      ...(dns === undefined ? {} : { Dns: [dns.server], DnsSearch: dns.search }),
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
export async function removeIdleReplicasNetworks(docker: Dockerode, names: readonly string[] = [REPLICAS_NETWORK]): Promise<void> {
  for (const network of await docker.listNetworks({ filters: { name: [...names] } })) {
    if (names.includes(network.Name)) await ignoreStatus(docker.getNetwork(network.Id).remove(), [403, 404, 409]);
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

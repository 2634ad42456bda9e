import type { DesiredReplica, ObservedReplica } from '../../protocol/agent/replica.js';
import type { ReplicaUsageSample } from '../../protocol/usage/usage-rates.js';

export type { ReplicaUsageSample };

/** Who owns a replica: written on it when it starts, so a restarted agent can adopt it. */
export interface ReplicaOwner {
  cluster: string;
  /** The node's peer id. */
  node: string;
}

/**
 * Runs replicas for one node. Every replica a runtime starts carries its owner and its
 * identity (workload, slot, epoch, spec version) with it, in container labels or in a
 * record on disk, so `list` finds it again after the agent restarts.
 */
import type { AddressPool } from '../../protocol/services/service-addresses.js';

export interface ContainerRuntime {
  readonly kind: 'docker' | 'process';
  /** Every replica this owner started that still exists, running or exited. */
  list(owner: ReplicaOwner): Promise<ObservedReplica[]>;
  /**
   * Creates and starts a replica; resolves with its id once it has started. `mayRun` is
   * asked last, just before the replica begins to run (after the image, the network and
   * its files): if it says no, nothing runs, nothing is left, and the start rejects with
   * StartHeldError.
   */
  start(replica: DesiredReplica, owner: ReplicaOwner, mayRun?: () => boolean): Promise<string>;
  /** Starts an exited replica again, in place; `replica` is what it should run now. `mayRun` as for start. */
  restart(id: string, replica: DesiredReplica, mayRun?: () => boolean): Promise<void>;
  /** Stops a replica and keeps it, exited, as a failed liveness probe does: its restart policy decides what follows. */
  stop(id: string, graceMs: number): Promise<void>;
  /** Stops (SIGTERM, then SIGKILL after `graceMs`) and removes a replica; a missing one is not an error. */
  remove(id: string, graceMs: number): Promise<void>;
  /** The replica's output (stdout and stderr interleaved); with `follow`, new output until `signal` aborts. */
  logs(id: string, options: LogOptions): AsyncIterable<Uint8Array>;
  /** Runs a command inside the replica (beside it, for a process) and waits for it, as `kubectl exec` without a terminal. */
  exec(id: string, command: readonly string[], timeoutMs: number): Promise<ExecResult>;
  /**
   * What each running replica of this owner uses now: CPU time since it started
   * (cumulative, so a rate takes two samples) and memory in use. Docker: the container's
   * cgroup, memory as `docker stats` shows it (usage less inactive page cache). Process:
   * the wrapper and every process of its session or below it, memory as their summed
   * resident sets (shared pages count once per process).
   */
  usage(owner: ReplicaOwner): Promise<ReplicaUsageSample[]>;
  /** Where this owner's replicas reach their node's DNS and services; undefined while not known (no network yet). */
  serviceNetwork(owner: ReplicaOwner): Promise<ServiceNetwork | undefined>;
  close(): Promise<void>;
}

/** Environment a runtime adds to a replica it starts (the services of its namespace), under the spec's own. */
export type ServiceEnv = (namespace: string, network: ServiceNetwork) => Record<string, string>;

/** How a runtime's replicas reach their node: a DNS address, and a pool each service's own address comes from. */
export interface ServiceNetwork {
  dnsAddress: string;
  pool: AddressPool;
  /** Makes `address` one of this host's, reachable from the replicas (Docker: on their bridge); done twice is fine. */
  claim(address: string): Promise<void>;
  release(address: string): Promise<void>;
}

export interface LogOptions {
  follow: boolean;
  /** Only the last this many lines of what was written before. */
  tail?: number | undefined;
  /** Only what was written since then (Docker only: a process's log has no timestamps). */
  sinceMs?: number | undefined;
  signal: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The image is not present and could not be pulled: shown in the replica's status. */
export class ImageUnavailableError extends Error {
  override readonly name = 'ImageUnavailableError';
  constructor(
    readonly image: string,
    readonly reason: string,
  ) {
    super(`image ${image} is not present and could not be pulled: ${reason}`);
  }
}

/**
 * What a replica runs (an image, an artifact) is on its way from a peer: the start waits
 * for it, and is no failure. The agent tries again on its next pass and shows `reason` in
 * the replica's status. `what` names the content, as `image busybox:1` or
 * `artifact sha256:…`.
 */
export class ContentPendingError extends Error {
  override readonly name = 'ContentPendingError';
  constructor(
    readonly what: string,
    readonly reason: string,
  ) {
    super(`${what}: ${reason}`);
  }
}

/**
 * A start its `mayRun` refused at the last moment. The agent decided to start the
 * replica a runtime call or more earlier; a node paused in between (docker pause, a
 * stopped VM) may have lost its right to run it meanwhile, as a `majority` replica's
 * fence does.
 */
export class StartHeldError extends Error {
  override readonly name = 'StartHeldError';
  constructor(readonly replica: string) {
    super(`${replica}: not started, the node may no longer run it`);
  }
}

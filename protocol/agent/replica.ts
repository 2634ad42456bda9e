import type { ProbeSpec } from './probe.js';

/**
 * The agent's vocabulary: what the document asks a node to run (a desired replica), and
 * what its container runtime reports (an observed replica). Both name a replica by
 * (workload key, slot, epoch); the spec version says which revision of the spec runs.
 */

export type RestartPolicy = 'always' | 'on-failure' | 'never';

export interface PortMapping {
  containerPort: number;
  hostPort?: number | undefined;
  protocol: 'tcp' | 'udp';
}

/** Everything a runtime needs to start one replica; derived from the workload's spec. */
export interface ContainerSpec {
  image: string;
  /**
   * A content id (`sha256:<hex>`) of an artifact, a bundle of files: the process runtime
   * runs the command in a fresh copy of it; the Docker runtime refuses to start it.
   */
  artifact?: string | undefined;
  command?: string[] | undefined;
  args?: string[] | undefined;
  env: Record<string, string>;
  ports: PortMapping[];
  cpuMillis?: number | undefined;
  memoryBytes?: number | undefined;
  restartPolicy: RestartPolicy;
  /** Linux capabilities to keep; every other one is dropped. */
  capabilities: string[];
  /** Names of env variables whose values came from secrets: a runtime never writes them to disk. */
  secretEnv?: string[] | undefined;
  /** Files placed in the replica before it starts (secrets), content as base64. */
  files?: { path: string; content: string; mode: number }[] | undefined;
  /** Why the replica cannot be started as specified (a missing secret): starting it fails with this. */
  unresolved?: string | undefined;
  /** Failing, the replica is restarted (by its restart policy, with back-off). */
  liveness?: ProbeSpec | undefined;
  /** Until it passes, the replica is not ready: rollouts wait for it. */
  readiness?: ProbeSpec | undefined;
}

export interface DesiredReplica {
  /** The workload's document key, `Workload/<namespace>/<name>`. */
  workload: string;
  slot: number;
  /** The placement epoch that put this slot on this node. */
  epoch: number;
  /** A hash of the spec fields: a change means the container must be replaced. */
  specVersion: string;
  spec: ContainerSpec;
  /**
   * The content id the image must have (protocol/images/image-record.ts): named by
   * digest, or pushed under its tag into the workload's namespace. Not part of the spec
   * version: pushing a tag again moves new replicas, as a registry tag does.
   */
  imageId?: string | undefined;
  /** A rolling update with surge: keep the replica of the old spec until this one is ready. */
  surge?: boolean | undefined;
}

export type ObservedState = 'created' | 'running' | 'exited';

/** A replica as the runtime found it, read back from the labels it was started with. */
export interface ObservedReplica {
  /** The runtime's handle: a container id, or a process key. */
  id: string;
  workload: string;
  slot: number;
  epoch: number;
  specVersion: string;
  state: ObservedState;
  exitCode?: number | undefined;
  startedAtMs?: number | undefined;
  finishedAtMs?: number | undefined;
  /** Where the replica can be reached from the node, if anywhere. */
  address?: string | undefined;
  hostPorts: number[];
}

export const replicaName = (r: { workload: string; slot: number }): string => `${r.workload}#${r.slot}`;

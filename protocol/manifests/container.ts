import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { canonicalJson, type Json } from '../../crdt/json.js';
import type { ProbeCheck, ProbeSpec } from '../agent/probe.js';
import type { ContainerSpec, PortMapping, RestartPolicy } from '../agent/replica.js';
import { cpuMillis, memoryBytes } from './quantity.js';

/** The spec fields that shape a container: a change to any of them replaces the replica. */
export const CONTAINER_FIELDS = [
  'image',
  'artifact',
  'command',
  'args',
  'env',
  'secrets',
  'ports',
  'resources',
  'restartPolicy',
  'capabilities',
  'livenessProbe',
  'readinessProbe',
] as const;

type Fields = Readonly<Record<string, Json>>;

const strings = (value: Json | undefined): string[] | undefined => (Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined);

/** Ports as the manifest gave them; malformed entries (never from a validated apply) are skipped. */
export function portsOf(fields: Fields): PortMapping[] {
  const ports = fields['spec.ports'];
  if (!Array.isArray(ports)) return [];
  return ports.flatMap((p) => {
    if (p === null || typeof p !== 'object' || Array.isArray(p) || typeof p.containerPort !== 'number') return [];
    return [{ containerPort: p.containerPort, hostPort: typeof p.hostPort === 'number' ? p.hostPort : undefined, protocol: p.protocol === 'udp' ? 'udp' : 'tcp' }];
  });
}

export function resourcesOf(fields: Fields): { cpuMillis: number; memoryBytes: number } {
  const r = fields['spec.resources'];
  const get = (k: string): string | number | undefined =>
    r !== null && typeof r === 'object' && !Array.isArray(r) && (typeof r[k] === 'string' || typeof r[k] === 'number') ? (r[k] as string | number) : undefined;
  const cpu = get('cpu');
  const memory = get('memory');
  return { cpuMillis: cpu === undefined ? 0 : (cpuMillis(cpu) ?? 0), memoryBytes: memory === undefined ? 0 : (memoryBytes(memory) ?? 0) };
}

type JsonRecord = { [key: string]: Json };
const asRecord = (v: Json | undefined): JsonRecord | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined);
const seconds = (v: Json | undefined, fallback: number): number => (typeof v === 'number' ? v : fallback) * 1000;

/** A probe as validated at apply time; anything else (never from a validated apply) is no probe. */
export function probeOf(value: Json | undefined): ProbeSpec | undefined {
  const p = asRecord(value);
  if (p === undefined) return undefined;
  const http = asRecord(p.http);
  const tcp = asRecord(p.tcp);
  const exec = asRecord(p.exec);
  let check: ProbeCheck | undefined;
  if (http !== undefined && typeof http.port === 'number') check = { kind: 'http', path: typeof http.path === 'string' ? http.path : '/', port: http.port };
  else if (tcp !== undefined && typeof tcp.port === 'number') check = { kind: 'tcp', port: tcp.port };
  else if (exec !== undefined && strings(exec.command) !== undefined) check = { kind: 'exec', command: strings(exec.command) as string[] };
  if (check === undefined) return undefined;
  const count = (v: Json | undefined, fallback: number): number => (typeof v === 'number' && v >= 1 ? v : fallback);
  return {
    check,
    initialDelayMs: seconds(p.initialDelaySeconds, 0),
    periodMs: seconds(p.periodSeconds, 10),
    timeoutMs: seconds(p.timeoutSeconds, 1),
    successThreshold: count(p.successThreshold, 1),
    failureThreshold: count(p.failureThreshold, 3),
  };
}

/** What a replica needs from Secrets: the node resolves these, since only nodes can open sealed values. */
export interface SecretRefs {
  env: { name: string; secret: string; key: string }[];
  mounts: { secret: string; mountPath: string }[];
}

export function secretRefsOf(fields: Fields): SecretRefs {
  const refs: SecretRefs = { env: [], mounts: [] };
  const env = fields['spec.env'];
  if (Array.isArray(env)) {
    for (const e of env) {
      const ref = asRecord(asRecord(asRecord(e)?.valueFrom)?.secretKeyRef);
      const name = asRecord(e)?.name;
      if (ref !== undefined && typeof name === 'string' && typeof ref.name === 'string' && typeof ref.key === 'string') refs.env.push({ name, secret: ref.name, key: ref.key });
    }
  }
  const mounts = fields['spec.secrets'];
  if (Array.isArray(mounts)) {
    for (const m of mounts) {
      const mount = asRecord(m);
      if (mount !== undefined && typeof mount.name === 'string' && typeof mount.mountPath === 'string') refs.mounts.push({ secret: mount.name, mountPath: mount.mountPath });
    }
  }
  return refs;
}

/** `spec.artifact` as text when present at all (a runtime checks it against ARTIFACT_ID before it names a path). */
const artifactOf = (fields: Fields): string | undefined => {
  const value = fields['spec.artifact'];
  return value === undefined || value === null ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
};

/** A workload's document fields as what a runtime starts. */
export function containerSpecOf(fields: Fields): ContainerSpec {
  const env: Record<string, string> = {};
  const list = fields['spec.env'];
  if (Array.isArray(list))
    for (const e of list) if (e !== null && typeof e === 'object' && !Array.isArray(e) && typeof e.name === 'string' && typeof e.value === 'string') env[e.name] = e.value;
  const { cpuMillis: cpu, memoryBytes: memory } = resourcesOf(fields);
  const policy = fields['spec.restartPolicy'];
  return {
    image: String(fields['spec.image'] ?? ''),
    // Kept as written, valid or not: a runtime refuses a malformed one, rather than run the command without its files.
    artifact: artifactOf(fields),
    command: strings(fields['spec.command']),
    args: strings(fields['spec.args']),
    env,
    ports: portsOf(fields),
    cpuMillis: cpu > 0 ? cpu : undefined,
    memoryBytes: memory > 0 ? memory : undefined,
    restartPolicy: (policy === 'on-failure' || policy === 'never' ? policy : 'always') as RestartPolicy,
    capabilities: strings(fields['spec.capabilities']) ?? [],
    liveness: probeOf(fields['spec.livenessProbe']),
    readiness: probeOf(fields['spec.readinessProbe']),
  };
}

/** A short hash of the container-shaping fields: equal specs, equal versions, on every node. */
export function specVersionOf(fields: Fields): string {
  const shaping: Record<string, Json> = {};
  for (const field of CONTAINER_FIELDS) if (fields[`spec.${field}`] !== undefined) shaping[field] = fields[`spec.${field}`] as Json;
  return bytesToHex(sha256(new TextEncoder().encode(canonicalJson(shaping)))).slice(0, 12);
}

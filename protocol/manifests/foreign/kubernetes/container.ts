import { grantedCapabilities } from '../capabilities.js';
import { checkFields, isMapping, type Mapping } from '../field-rules.js';
import type { ManifestBuilder } from '../manifest-builder.js';
import type { SourcePath } from '../translation.js';
import { objectRef, type KubeContext } from './context.js';
import { translateProbe } from './probe.js';
import { integer, list, mapping, string, stringList } from './values.js';

const NOT_ROOT = 'Shoal runs the image as its own user: build the image with USER instead';

/** The security settings Shoal honours (it drops every capability but those added) or refuses. */
const SECURITY_RULES = {
  handled: ['capabilities', 'allowPrivilegeEscalation'],
  dropped: { seccompProfile: (v: unknown) => (isMapping(v) && v.type === 'RuntimeDefault' ? undefined : "Shoal applies the engine's default seccomp profile") },
  refused: {
    runAsUser: NOT_ROOT,
    runAsGroup: NOT_ROOT,
    runAsNonRoot: (v: unknown) => (v === true ? NOT_ROOT : undefined),
    readOnlyRootFilesystem: (v: unknown) => (v === true ? "Shoal cannot mount the container's filesystem read-only" : undefined),
    procMount: 'Shoal cannot change /proc',
    seLinuxOptions: 'Shoal sets no SELinux options',
    appArmorProfile: 'Shoal sets no AppArmor profile',
    windowsOptions: 'Shoal runs Linux containers',
  },
};

/** Container ports by name, read leniently: what a Service's or a probe's port name refers to. */
export function namedPortsOf(container: unknown): Map<string, number> {
  const ports = new Map<string, number>();
  if (!isMapping(container) || !Array.isArray(container.ports)) return ports;
  for (const p of container.ports) if (isMapping(p) && typeof p.name === 'string' && typeof p.containerPort === 'number') ports.set(p.name, p.containerPort);
  return ports;
}

/**
 * One Kubernetes container as a Shoal replica's container fields. Secret and ConfigMap
 * volumes arrive as `secretVolumes` (volume name → the Shoal Secret holding its keys).
 */
export function translateContainer(
  ctx: KubeContext,
  b: ManifestBuilder,
  container: Mapping,
  path: SourcePath,
  namespace: string,
  secretVolumes: ReadonlyMap<string, string>,
  options: { probes: boolean },
): void {
  const d = ctx.diagnostics;
  checkFields(d, container, path, {
    handled: ['name', 'image', 'command', 'args', 'env', 'envFrom', 'ports', 'resources', 'livenessProbe', 'readinessProbe', 'securityContext', 'volumeMounts'],
    dropped: {
      imagePullPolicy: 'Shoal runs the image the node holds, and looks for it among its peers when missing',
      startupProbe: 'Shoal has no startup probe: give the liveness probe an initialDelaySeconds instead',
      terminationMessagePath: 'Shoal keeps the logs, not a termination message',
      terminationMessagePolicy: 'Shoal keeps the logs, not a termination message',
      stdin: 'a replica has no terminal; use shoal exec',
      stdinOnce: 'a replica has no terminal; use shoal exec',
      tty: 'a replica has no terminal; use shoal exec',
      resizePolicy: 'a change of resources replaces the replica',
    },
    refused: {
      workingDir: 'Shoal starts the container in the working directory of its image: set WORKDIR in the image',
      lifecycle: 'Shoal runs no postStart or preStop hooks: handle SIGTERM in the program',
      volumeDevices: 'Shoal provides no volumes',
      restartPolicy: 'Shoal has no sidecar containers',
    },
  });
  const image = string(d, container.image, [...path, 'image']);
  if (image === undefined) d.error(path, 'a container needs an image');
  else b.set('spec.image', image, [...path, 'image']);
  const command = stringList(d, container.command, [...path, 'command']);
  if (command !== undefined) b.set('spec.command', command, [...path, 'command']);
  const args = stringList(d, container.args, [...path, 'args']);
  if (args !== undefined) b.set('spec.args', args, [...path, 'args']);

  const namedPorts = namedPortsOf(container);
  translatePorts(ctx, b, container.ports, [...path, 'ports']);
  translateEnv(ctx, b, container, path, namespace);
  translateResources(ctx, b, container.resources, [...path, 'resources']);
  for (const kind of ['livenessProbe', 'readinessProbe'] as const) {
    if (container[kind] === undefined) continue;
    if (!options.probes) {
      d.warning([...path, kind], 'a Job runs to completion: Shoal probes only long-running workloads');
      continue;
    }
    const probe = translateProbe(d, container[kind], [...path, kind], namedPorts);
    if (probe !== undefined) b.set(`spec.${kind}`, probe, [...path, kind]);
  }
  const security = mapping(d, container.securityContext, [...path, 'securityContext']);
  if (security !== undefined) translateSecurity(ctx, b, security, [...path, 'securityContext']);
  if (!b.has('spec.capabilities')) b.set('spec.capabilities', grantedCapabilities([], []), [...path, 'securityContext']);
  translateMounts(ctx, b, container.volumeMounts, [...path, 'volumeMounts'], secretVolumes);
}

function translatePorts(ctx: KubeContext, b: ManifestBuilder, value: unknown, path: SourcePath): void {
  const d = ctx.diagnostics;
  const ports: Record<string, unknown>[] = [];
  for (const [i, entry] of list(d, value, path).entries()) {
    const port = mapping(d, entry, [...path, i]);
    if (port === undefined) continue;
    checkFields(d, port, [...path, i], {
      handled: ['name', 'containerPort', 'hostPort', 'protocol'],
      dropped: { hostIP: 'Shoal binds a host port on every address of the node' },
    });
    const protocol = port.protocol ?? 'TCP';
    if (protocol !== 'TCP' && protocol !== 'UDP') d.error([...path, i, 'protocol'], 'Shoal routes TCP and UDP only');
    b.cameFrom(`spec.ports.${ports.length}`, [...path, i]);
    ports.push({
      containerPort: integer(d, port.containerPort, [...path, i, 'containerPort']),
      ...(port.hostPort === undefined ? {} : { hostPort: integer(d, port.hostPort, [...path, i, 'hostPort']) }),
      protocol: protocol === 'UDP' ? 'udp' : 'tcp',
    });
  }
  if (ports.length > 0) b.set('spec.ports', ports, path);
}

function translateEnv(ctx: KubeContext, b: ManifestBuilder, container: Mapping, path: SourcePath, namespace: string): void {
  const d = ctx.diagnostics;
  const env = new Map<string, Record<string, unknown>>();
  // envFrom comes first: an explicit env entry of the same name wins, as in Kubernetes.
  for (const [i, entry] of list(d, container.envFrom, [...path, 'envFrom']).entries()) {
    const at = [...path, 'envFrom', i];
    const source = mapping(d, entry, at);
    if (source === undefined) continue;
    checkFields(d, source, at, { handled: ['configMapRef', 'secretRef', 'prefix'] });
    const prefix = string(d, source.prefix, [...at, 'prefix']) ?? '';
    for (const [field, keys] of [
      ['configMapRef', ctx.configMapKeys],
      ['secretRef', ctx.secretKeys],
    ] as const) {
      const ref = mapping(d, source[field], [...at, field]);
      if (ref === undefined) continue;
      checkFields(d, ref, [...at, field], { handled: ['name'], refused: { optional: (v) => (v === true ? 'Shoal needs the object to exist' : undefined) } });
      const name = string(d, ref.name, [...at, field, 'name']);
      if (name === undefined) continue;
      const known = keys.get(objectRef(namespace, name));
      if (known === undefined) {
        d.error(
          [...at, field],
          `envFrom needs the ${field === 'configMapRef' ? 'ConfigMap' : 'Secret'} '${name}' in the same apply, to know its keys: add it to the file, or list each variable under env`,
        );
        continue;
      }
      for (const key of known) env.set(prefix + key, { name: prefix + key, valueFrom: { secretKeyRef: { name, key } } });
    }
  }
  for (const [i, entry] of list(d, container.env, [...path, 'env']).entries()) {
    const at = [...path, 'env', i];
    const variable = mapping(d, entry, at);
    if (variable === undefined) continue;
    checkFields(d, variable, at, { handled: ['name', 'value', 'valueFrom'] });
    const name = string(d, variable.name, [...at, 'name']);
    if (name === undefined) continue;
    const from = mapping(d, variable.valueFrom, [...at, 'valueFrom']);
    if (from === undefined) {
      env.set(name, { name, value: string(d, variable.value, [...at, 'value']) ?? '' });
      continue;
    }
    checkFields(d, from, [...at, 'valueFrom'], {
      handled: ['secretKeyRef', 'configMapKeyRef'],
      refused: {
        fieldRef: 'Shoal does not expose pod fields: set the value, or read it in the program',
        resourceFieldRef: "Shoal does not expose a container's resources as variables: set the value",
      },
    });
    const refAt = [...at, 'valueFrom', from.secretKeyRef !== undefined ? 'secretKeyRef' : 'configMapKeyRef'];
    const ref = mapping(d, from.secretKeyRef ?? from.configMapKeyRef, refAt);
    if (ref === undefined) continue;
    checkFields(d, ref, refAt, { handled: ['name', 'key'], refused: { optional: (v) => (v === true ? 'Shoal needs the key to exist' : undefined) } });
    // A ConfigMap becomes a Shoal Secret of the same name (config.ts).
    env.set(name, { name, valueFrom: { secretKeyRef: { name: string(d, ref.name, [...refAt, 'name']), key: string(d, ref.key, [...refAt, 'key']) } } });
  }
  if (env.size > 0) b.set('spec.env', [...env.values()], [...path, container.env !== undefined ? 'env' : 'envFrom']);
}

function translateResources(ctx: KubeContext, b: ManifestBuilder, value: unknown, path: SourcePath): void {
  const d = ctx.diagnostics;
  const resources = mapping(d, value, path);
  if (resources === undefined) return;
  checkFields(d, resources, path, { handled: ['limits', 'requests'], refused: { claims: 'Shoal has no dynamic resource claims' } });
  const limits = mapping(d, resources.limits, [...path, 'limits']) ?? {};
  const requests = mapping(d, resources.requests, [...path, 'requests']) ?? {};
  const out: Record<string, unknown> = {};
  for (const [name, amounts, other] of [
    ['limits', limits, requests],
    ['requests', requests, limits],
  ] as const) {
    for (const [resource, amount] of Object.entries(amounts)) {
      const at = [...path, name, resource];
      if (resource === 'ephemeral-storage') d.warning(at, 'Shoal does not limit disk use');
      else if (resource !== 'cpu' && resource !== 'memory') d.error(at, `Shoal schedules cpu and memory only: it cannot provide ${resource}`);
      else if (name === 'limits' || other[resource] === undefined) {
        out[resource] = amount;
        b.cameFrom(`spec.resources.${resource}`, at);
      } else if (String(amount) !== String(other[resource])) d.warning(at, `Shoal reserves and limits the same amount: the limit ${String(other[resource])} is used for both`);
    }
  }
  if (Object.keys(out).length > 0) b.set('spec.resources', out, path);
}

function translateSecurity(ctx: KubeContext, b: ManifestBuilder, security: Mapping, path: SourcePath): void {
  const d = ctx.diagnostics;
  checkFields(d, security, path, {
    ...SECURITY_RULES,
    refused: { ...SECURITY_RULES.refused, privileged: (v: unknown) => (v === true ? 'Shoal runs no privileged containers: add the capabilities the program needs' : undefined) },
  });
  const capabilities = mapping(d, security.capabilities, [...path, 'capabilities']);
  if (capabilities === undefined) return;
  checkFields(d, capabilities, [...path, 'capabilities'], { handled: ['add', 'drop'] });
  const add = stringList(d, capabilities.add, [...path, 'capabilities', 'add']) ?? [];
  const drop = stringList(d, capabilities.drop, [...path, 'capabilities', 'drop']) ?? [];
  b.set('spec.capabilities', grantedCapabilities(add, drop), [...path, 'capabilities']);
}

function translateMounts(ctx: KubeContext, b: ManifestBuilder, value: unknown, path: SourcePath, secretVolumes: ReadonlyMap<string, string>): void {
  const d = ctx.diagnostics;
  const mounts: Record<string, unknown>[] = [];
  for (const [i, entry] of list(d, value, path).entries()) {
    const mount = mapping(d, entry, [...path, i]);
    if (mount === undefined) continue;
    checkFields(d, mount, [...path, i], {
      handled: ['name', 'mountPath', 'readOnly'],
      refused: {
        subPath: 'Shoal mounts every key of a secret as a file under mountPath: drop subPath and mount the folder',
        subPathExpr: 'Shoal mounts every key of a secret as a file under mountPath: drop subPathExpr',
        mountPropagation: 'Shoal provides no volumes',
        recursiveReadOnly: 'Shoal mounts secrets read-only already',
      },
    });
    const name = string(d, mount.name, [...path, i, 'name']);
    const secret = name === undefined ? undefined : secretVolumes.get(name);
    // A mount of a volume Shoal refused has its error on the volume already.
    if (secret === undefined) continue;
    b.cameFrom(`spec.secrets.${mounts.length}`, [...path, i]);
    mounts.push({ name: secret, mountPath: string(d, mount.mountPath, [...path, i, 'mountPath']) });
  }
  if (mounts.length > 0) b.set('spec.secrets', mounts, path);
}

import { checkFields, type Mapping } from '../field-rules.js';
import type { ManifestBuilder } from '../manifest-builder.js';
import type { SourcePath } from '../translation.js';
import type { KubeContext } from './context.js';
import { translateContainer } from './container.js';
import { translateScheduling } from './node-selection.js';
import { list, mapping, string } from './values.js';

const NO_VOLUMES = "Shoal provides no volumes: a replica's files last as long as the replica. Drop the volume and its mounts, or keep this workload outside Shoal";
const NOT_ROOT = 'Shoal runs the image as its own user: build the image with USER instead';

/**
 * A pod template's spec as a Shoal replica: one container, its Secret and ConfigMap
 * volumes as secret mounts, node selection as placement. Returns the pod's
 * restartPolicy for the caller to judge (each kind allows its own).
 */
export function translatePodSpec(
  ctx: KubeContext,
  b: ManifestBuilder,
  pod: Mapping,
  path: SourcePath,
  namespace: string,
  ownLabels: Readonly<Record<string, string>>,
  options: { probes: boolean },
): string | undefined {
  const d = ctx.diagnostics;
  checkFields(d, pod, path, {
    handled: ['containers', 'volumes', 'restartPolicy', 'nodeSelector', 'affinity', 'topologySpreadConstraints', 'securityContext'],
    dropped: {
      tolerations: 'Shoal has no taints, so every node tolerates the workload',
      serviceAccountName: 'a replica gets no credentials for the cluster API',
      serviceAccount: 'a replica gets no credentials for the cluster API',
      automountServiceAccountToken: 'a replica gets no credentials for the cluster API',
      imagePullSecrets: 'Shoal runs images the nodes hold or fetch from each other',
      terminationGracePeriodSeconds: 'Shoal gives a stopping replica its own grace before SIGKILL',
      dnsPolicy: "Shoal points a replica's DNS at its node, which answers service names",
      priorityClassName: 'Shoal has no priorities',
      priority: 'Shoal has no priorities',
      preemptionPolicy: 'Shoal has no priorities',
      schedulerName: 'every Shoal node schedules',
      enableServiceLinks: 'Shoal sets <SERVICE>_SERVICE_HOST and _PORT for the services of the namespace',
      hostname: 'a replica is named by Shoal',
      subdomain: 'Shoal has no per-replica DNS names',
      setHostnameAsFQDN: 'a replica is named by Shoal',
      activeDeadlineSeconds: 'Shoal has no pod deadline',
      readinessGates: 'readiness comes from the readiness probe',
      runtimeClassName: 'Shoal uses the runtime the node was started with',
      overhead: 'Shoal schedules the resources of the container',
      os: 'Shoal runs Linux containers',
      schedulingGates: 'Shoal schedules at once',
    },
    refused: {
      initContainers: (v) => (Array.isArray(v) && v.length === 0 ? undefined : 'Shoal has no init containers: run the step at the start of the container, or as a Job'),
      ephemeralContainers: 'Shoal has no ephemeral containers: use shoal exec',
      hostNetwork: (v) => (v === true ? "Shoal does not run replicas in the node's network: publish the port through a Service instead" : undefined),
      hostPID: (v) => (v === true ? "Shoal does not share the node's processes with a replica" : undefined),
      hostIPC: (v) => (v === true ? "Shoal does not share the node's IPC with a replica" : undefined),
      hostUsers: (v) => (v === false ? 'Shoal has no user namespaces per replica' : undefined),
      shareProcessNamespace: (v) => (v === true ? 'a Shoal replica has one container' : undefined),
      hostAliases: 'Shoal does not edit /etc/hosts: reach other workloads through services',
      dnsConfig: "Shoal sets a replica's DNS to its node's server",
      nodeName: 'Shoal places every replica by auction: label the node (shoal start --label) and use nodeSelector',
      resourceClaims: 'Shoal has no dynamic resource claims',
    },
  });
  const security = mapping(d, pod.securityContext, [...path, 'securityContext']);
  if (security !== undefined)
    checkFields(d, security, [...path, 'securityContext'], {
      handled: [],
      dropped: { seccompProfile: "Shoal applies the engine's default seccomp profile", fsGroupChangePolicy: 'Shoal provides no volumes' },
      refused: {
        runAsUser: NOT_ROOT,
        runAsGroup: NOT_ROOT,
        runAsNonRoot: (v) => (v === true ? NOT_ROOT : undefined),
        fsGroup: 'Shoal provides no volumes to own',
        supplementalGroups: NOT_ROOT,
        sysctls: 'Shoal sets no sysctls for a replica',
        seLinuxOptions: 'Shoal sets no SELinux options',
        appArmorProfile: 'Shoal sets no AppArmor profile',
        windowsOptions: 'Shoal runs Linux containers',
      },
    });

  const containers = list(d, pod.containers, [...path, 'containers']);
  if (containers.length === 0) d.error(path, 'a pod needs a container');
  for (let i = 1; i < containers.length; i++)
    d.error(
      [...path, 'containers', i],
      'Shoal runs one container per replica: move this container into a workload of its own and reach it through a Service (or bake it into the image)',
    );
  const secretVolumes = translateVolumes(ctx, pod.volumes, [...path, 'volumes']);
  const container = mapping(d, containers[0], [...path, 'containers', 0]);
  if (container !== undefined) translateContainer(ctx, b, container, [...path, 'containers', 0], namespace, secretVolumes, options);
  translateScheduling(ctx, b, pod, path, ownLabels);
  return string(d, pod.restartPolicy, [...path, 'restartPolicy']);
}

/** Secret and ConfigMap volumes, by volume name: the Shoal Secret each one mounts. Every other kind is refused. */
function translateVolumes(ctx: KubeContext, value: unknown, path: SourcePath): Map<string, string> {
  const d = ctx.diagnostics;
  const out = new Map<string, string>();
  for (const [i, entry] of list(d, value, path).entries()) {
    const at = [...path, i];
    const volume = mapping(d, entry, at);
    if (volume === undefined) continue;
    const name = string(d, volume.name, [...at, 'name']);
    const source = volume.secret !== undefined ? 'secret' : volume.configMap !== undefined ? 'configMap' : undefined;
    if (source === undefined) {
      const kind = Object.keys(volume).find((k) => k !== 'name') ?? 'volume';
      d.error([...at, kind], NO_VOLUMES);
      continue;
    }
    checkFields(d, volume, at, { handled: ['name', source] });
    const spec = mapping(d, volume[source], [...at, source]);
    if (spec === undefined || name === undefined) continue;
    const nameField = source === 'secret' ? 'secretName' : 'name';
    checkFields(d, spec, [...at, source], {
      handled: [nameField],
      dropped: { defaultMode: 'Shoal mounts secret files readable by their owner only (0400)' },
      refused: {
        items: 'Shoal mounts every key under its own name: drop items, and read the keys you need',
        optional: (v) => (v === true ? 'Shoal needs the object to exist' : undefined),
      },
    });
    const secret = string(d, spec[nameField], [...at, source, nameField]);
    if (secret !== undefined) out.set(name, secret);
  }
  return out;
}

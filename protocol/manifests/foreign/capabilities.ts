/**
 * What Docker grants a container unless told otherwise (moby's default capability set),
 * and so what a Compose file or a pod expects its container to hold. Shoal's own
 * manifests start from none; a translated one starts from these, or images that switch
 * user as they start (redis, nginx, postgres) fail on Shoal where they ran before.
 */
export const DOCKER_DEFAULT_CAPABILITIES = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
] as const;

const normal = (name: string): string => name.trim().toUpperCase().replace(/^CAP_/, '');

/** Docker's defaults with `add` added and `drop` taken away (`ALL` drops the defaults), sorted: Shoal's `capabilities`. */
export function grantedCapabilities(add: readonly string[], drop: readonly string[]): string[] {
  const dropped = new Set(drop.map(normal));
  const granted = new Set<string>(dropped.has('ALL') ? [] : DOCKER_DEFAULT_CAPABILITIES.filter((c) => !dropped.has(c)));
  for (const c of add.map(normal)) granted.add(c);
  return [...granted].sort();
}

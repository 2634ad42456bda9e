import type { FieldRules } from '../field-rules.js';
import { isEmpty, isExtension, unlessEmpty, unlessFalse, verdicts } from './values.js';

const cpuTuning = (key: string) => unlessEmpty(`${key} is dropped: Shoal limits CPU with cpus (or deploy.resources.limits.cpus) only`);
const MEMORY_TUNING = (key: string) => unlessEmpty(`${key} is dropped: Shoal keeps the runtime's default, and limits memory with mem_limit (or deploy.resources.limits.memory)`);
const NO_DNS_SETTINGS = (key: string) => unlessEmpty(`Shoal's resolver answers service names and passes the rest to the node's own: remove ${key}`);
const NO_VOLUMES = 'Shoal provides no volumes: data lives as long as the replica; remove it or keep this service outside Shoal';

/** How Shoal stops a container anyway; naming it asks for nothing more. */
const isSigterm = (value: unknown): boolean => value === 'SIGTERM' || value === 'TERM' || value === 15;
/** What Shoal sets on every container already. */
const isNoNewPrivileges = (value: unknown): boolean =>
  Array.isArray(value) && value.every((option) => typeof option === 'string' && /^no-new-privileges(?:[:=]true)?$/.test(option));

/** Every key a Compose service may have, and what becomes of it. */
export const SERVICE_RULES: FieldRules = {
  handled: [
    'image',
    'build',
    'entrypoint',
    'command',
    'environment',
    'env_file',
    'ports',
    'expose',
    'deploy',
    'scale',
    'cpus',
    'mem_limit',
    'restart',
    'healthcheck',
    'labels',
    'secrets',
    'cap_add',
    'cap_drop',
    'profiles',
  ],
  ignore: isExtension,
  dropped: verdicts({
    container_name: 'container_name is dropped: Shoal names containers itself; other services reach this one by its service name',
    hostname: 'hostname is dropped: Shoal sets the hostname itself; other services reach this one by its service name',
    domainname: 'domainname is dropped: Shoal sets the hostname itself; other services reach this one by its service name',
    depends_on: unlessEmpty('depends_on is dropped: Shoal starts every service at once, so a service must retry until what it needs answers'),
    links: unlessEmpty('links is dropped: services reach each other by service name'),
    networks: unlessEmpty('networks is dropped: Shoal gives each namespace one network; services reach each other by service name'),
    logging: unlessEmpty('logging is dropped: Shoal keeps each container output itself; read it with shoal logs'),
    stop_grace_period: "stop_grace_period is dropped: Shoal gives a container the node's stop grace (10s by default) between SIGTERM and SIGKILL",
    tty: unlessFalse('tty is dropped: Shoal runs containers without a terminal'),
    stdin_open: unlessFalse('stdin_open is dropped: Shoal runs containers with no standard input'),
    platform: 'platform is dropped: each node pulls the image for its own platform',
    pull_policy: (value) =>
      value === 'missing' || value === 'if_not_present' ? undefined : 'pull_policy is dropped: a node pulls an image when it does not have it, and only then',
    annotations: unlessEmpty('annotations is dropped: Shoal sets no container annotations; put what you need under labels'),
    attach: 'attach is dropped: Shoal keeps every container output; read it with shoal logs',
    develop: unlessEmpty('develop is dropped: Compose Watch is a development tool; Shoal runs the image as pushed'),
    oom_kill_disable: unlessFalse("oom_kill_disable is dropped: Shoal keeps the runtime's OOM killer"),
    oom_score_adj: "oom_score_adj is dropped: Shoal keeps the runtime's OOM score",
    mem_swappiness: MEMORY_TUNING('mem_swappiness'),
    memswap_limit: MEMORY_TUNING('memswap_limit'),
    mem_reservation: 'mem_reservation is dropped: Shoal reserves what it limits; set mem_limit (or deploy.resources.limits.memory)',
    blkio_config: unlessEmpty('blkio_config is dropped: Shoal sets no block I/O limits'),
    cpu_shares: cpuTuning('cpu_shares'),
    cpu_quota: cpuTuning('cpu_quota'),
    cpu_period: cpuTuning('cpu_period'),
    cpu_count: cpuTuning('cpu_count'),
    cpu_percent: cpuTuning('cpu_percent'),
    cpu_rt_runtime: cpuTuning('cpu_rt_runtime'),
    cpu_rt_period: cpuTuning('cpu_rt_period'),
    cpuset: cpuTuning('cpuset'),
    // Shoal's container runtime runs an init as PID 1 already.
    init: (value) => (value === false ? 'init: false is dropped: Shoal always runs an init as PID 1, so signals reach the service' : undefined),
  }),
  refused: verdicts({
    volumes: unlessEmpty(NO_VOLUMES),
    volumes_from: unlessEmpty(NO_VOLUMES),
    tmpfs: unlessEmpty('Shoal mounts no tmpfs: the container filesystem is writable already; remove tmpfs'),
    network_mode: "Shoal puts every replica on its namespace's network, with an address of its own: remove network_mode",
    user: 'Shoal runs the image as its own USER: set USER in the image, and remove user',
    working_dir: 'Shoal runs in the image WORKDIR: set WORKDIR in the image (or cd in the command), and remove working_dir',
    read_only: unlessFalse('Shoal cannot make the container filesystem read-only: remove read_only'),
    security_opt: (value) =>
      isEmpty(value) || isNoNewPrivileges(value) ? undefined : 'Shoal sets its own security options (no-new-privileges, every capability dropped but cap_add): remove security_opt',
    privileged: unlessFalse('Shoal never runs a privileged container: name the capabilities the service needs under cap_add'),
    devices: unlessEmpty('Shoal passes no host devices into containers: keep this service outside Shoal'),
    device_cgroup_rules: unlessEmpty('Shoal passes no host devices into containers: keep this service outside Shoal'),
    gpus: unlessEmpty('Shoal does not schedule GPUs: keep this service outside Shoal'),
    ipc: 'Shoal gives each replica its own IPC namespace: remove ipc',
    pid: 'Shoal gives each replica its own PID namespace: remove pid',
    uts: 'Shoal gives each replica its own UTS namespace: remove uts',
    userns_mode: "Shoal keeps the runtime's user namespaces: remove userns_mode",
    cgroup_parent: 'Shoal places replicas in cgroups itself: remove cgroup_parent',
    sysctls: unlessEmpty('Shoal sets no sysctls in containers: set them on the nodes, and remove sysctls'),
    ulimits: unlessEmpty("Shoal keeps the runtime's ulimits: raise them on the nodes, and remove ulimits"),
    extra_hosts: unlessEmpty('Shoal writes no /etc/hosts entries: reach other services by service name, or hosts by a DNS name'),
    dns: NO_DNS_SETTINGS('dns'),
    dns_search: NO_DNS_SETTINGS('dns_search'),
    dns_opt: NO_DNS_SETTINGS('dns_opt'),
    shm_size: "Shoal keeps the runtime's /dev/shm size: remove shm_size",
    runtime: "Shoal runs containers with the node's runtime: remove runtime",
    isolation: "Shoal runs containers with the runtime's isolation: remove isolation",
    group_add: unlessEmpty('Shoal runs with the groups of the image user: add the groups in the image, and remove group_add'),
    configs: unlessEmpty('Shoal has no configs: declare the file as a secret instead, and mount it with secrets'),
    external_links: unlessEmpty('Shoal reaches only services of the namespace, by service name: remove external_links'),
    storage_opt: unlessEmpty("Shoal keeps the runtime's storage options: remove storage_opt"),
    mac_address: 'Shoal assigns addresses itself: remove mac_address',
    credential_spec: 'Shoal has no Windows credential specs: remove credential_spec',
    label_file: 'Shoal reads no label files: write the labels under labels',
    post_start: unlessEmpty('Shoal runs no lifecycle hooks: do the work in the entrypoint'),
    pre_stop: unlessEmpty('Shoal runs no lifecycle hooks: handle SIGTERM in the service instead'),
    stop_signal: (value) => (isSigterm(value) ? undefined : 'Shoal stops with SIGTERM then SIGKILL: handle SIGTERM in the service, and remove stop_signal'),
  }),
};

/** The top-level keys of a compose file. */
export const TOP_LEVEL_RULES: FieldRules = {
  handled: ['services', 'secrets'],
  ignore: isExtension,
  dropped: verdicts({
    version: 'version is obsolete, and ignored, as docker compose says',
    name: 'name is dropped: Shoal puts the objects in namespace default',
    networks: unlessEmpty('networks is dropped: Shoal gives each namespace one network; services reach each other by service name'),
    volumes: unlessEmpty('volumes is dropped: Shoal provides no volumes, and a service that mounts one is refused'),
  }),
  refused: verdicts({
    configs: unlessEmpty('configs are not supported: use secrets'),
    include: unlessEmpty('Shoal does not follow include: translate each file by itself, or merge them into one'),
  }),
};

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diagnosticAt, translate, web } from './compose-helpers.js';

/** Service fields Shoal cannot honour, each with a value Compose accepts. */
const REFUSED: Record<string, unknown> = {
  volumes: ['data:/var/lib/data'],
  volumes_from: ['other'],
  tmpfs: ['/tmp'],
  network_mode: 'host',
  user: '1000:1000',
  working_dir: '/app',
  read_only: true,
  security_opt: ['seccomp:unconfined'],
  devices: ['/dev/fuse:/dev/fuse'],
  ipc: 'host',
  pid: 'host',
  cgroup_parent: 'm-executor',
  sysctls: { 'net.core.somaxconn': 1024 },
  ulimits: { nofile: 65535 },
  extra_hosts: ['somehost:162.242.195.82'],
  dns: '8.8.8.8',
  dns_search: 'example.com',
  dns_opt: ['use-vc'],
  shm_size: '1g',
  userns_mode: 'host',
  runtime: 'runc',
  isolation: 'process',
  group_add: ['mail'],
  configs: ['nginx_conf'],
  external_links: ['redis_1'],
  gpus: 'all',
  storage_opt: { size: '1G' },
  mac_address: '02:42:ac:11:65:43',
  stop_signal: 'SIGUSR1',
  privileged: true,
};

/** Service fields Shoal drops on purpose. */
const DROPPED: Record<string, unknown> = {
  container_name: 'my-web',
  hostname: 'web',
  domainname: 'example.com',
  depends_on: ['db'],
  links: ['db'],
  networks: ['front'],
  logging: { driver: 'syslog' },
  stop_grace_period: '1m',
  tty: true,
  stdin_open: true,
  platform: 'linux/arm64',
  pull_policy: 'always',
  annotations: { 'com.example.foo': 'bar' },
  attach: false,
  develop: { watch: [{ path: './src', action: 'sync', target: '/app' }] },
  oom_kill_disable: true,
  oom_score_adj: 500,
  mem_swappiness: 0,
  memswap_limit: '2g',
  blkio_config: { weight: 300 },
  mem_reservation: '256m',
  cpu_shares: 73,
  cpu_quota: 50000,
  cpuset: '0,1',
};

for (const [key, value] of Object.entries(REFUSED)) {
  test(`${key} is an error at its path that says what to do`, () => {
    const t = translate(web({ [key]: value }));
    const error = diagnosticAt(t, 'error', ['services', 'web', key]);
    assert.match(error.message, /Shoal.*: /);
    assert.not.match(error.message, /unknown field/);
    assert.is(t.diagnostics.length, 1, JSON.stringify(t.diagnostics));
  });
}

for (const [key, value] of Object.entries(DROPPED)) {
  test(`${key} is a warning at its path saying what Shoal does instead`, () => {
    const t = translate({ services: { web: { image: 'nginx', expose: [80], [key]: value }, db: { image: 'postgres', expose: [5432] }, redis_1: { image: 'r' } } });
    const warning = diagnosticAt(t, 'warning', ['services', 'web', key]);
    assert.match(warning.message, new RegExp(`^${key}\\b.* is dropped: `));
    assert.is(t.diagnostics.filter((d) => d.path[1] === 'web').length, 1, JSON.stringify(t.diagnostics));
  });
}

test('the volumes error says that Shoal provides no volumes', () => {
  assert.equal(
    diagnosticAt(translate(web({ volumes: ['./data:/data'] })), 'error', ['services', 'web', 'volumes']).message,
    'Shoal provides no volumes: data lives as long as the replica; remove it or keep this service outside Shoal',
  );
});

test('values that ask for what Shoal does anyway pass without a diagnostic', () => {
  const t = translate(
    web({
      privileged: false,
      read_only: false,
      tty: false,
      stdin_open: false,
      init: true,
      stop_signal: 'SIGTERM',
      security_opt: ['no-new-privileges:true'],
      volumes: [],
      depends_on: [],
      pull_policy: 'missing',
      cap_drop: [],
    }),
  );
  assert.equal(t.diagnostics, []);
});

test('init: false is a warning, since Shoal always runs an init', () => {
  assert.match(diagnosticAt(translate(web({ init: false })), 'warning', ['services', 'web', 'init']).message, /always runs an init/);
});

test('a key that Compose does not have is an unknown-field error, even one named like an Object property', () => {
  for (const key of ['imagee', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const service: Record<string, unknown> = { image: 'nginx' };
    Object.defineProperty(service, key, { value: 1, enumerable: true });
    const t = translate({ services: { web: service } });
    assert.match(diagnosticAt(t, 'error', ['services', 'web', key]).message, /unknown field/, key);
  }
});

test.run();

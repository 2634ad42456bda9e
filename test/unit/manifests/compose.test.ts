import { test } from 'uvu';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../../protocol/manifests/foreign/capabilities.js';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { isComposeDocument, translateCompose } from '../../../protocol/manifests/foreign/compose/index.js';
import { sourcePathOf } from '../../../protocol/manifests/foreign/translation.js';
import { workloadSchema } from '../../../protocol/manifests/workload.js';
import { contextOf, diagnosticAt, errors, manifestOf, noErrors, schemaChecked, translate, warnings, web, webSpec } from './compose-helpers.js';

const STACK = `
version: "3.9"
services:
  web:
    image: example/web:1.4
    command: gunicorn app:app --bind "0.0.0.0:80" --workers 4
    environment:
      - DATABASE_HOST=db
      - LOG_LEVEL=\${LOG_LEVEL:-info}
      - SESSION_KEY
    env_file: web.env
    ports: ["8080:80"]
    healthcheck:
      test: ["CMD-SHELL", "curl -fsS http://localhost/health || exit 1"]
      interval: 10s
      timeout: 3s
      retries: 5
      start_period: 1m30s
    deploy:
      replicas: 3
      resources:
        limits: {cpus: "0.5", memory: 512M}
    depends_on: [redis]
    secrets: [db_password]
  redis:
    image: redis:7
    expose: [6379]
  worker:
    image: example/web:1.4
    command: [celery, -A, app, worker, --concurrency, 4]
    environment:
      QUEUE: default
      CONCURRENCY: 4
      DEBUG: false
      REDIS_URL: redis://redis:6379/0
    deploy:
      mode: global
    restart: on-failure
secrets:
  db_password:
    file: ./db_password.txt
`;

const ENV = { SESSION_KEY: 's3cret' };
const FILES = { 'web.env': '# read by web\nDATABASE_HOST=old-db\n\nFEATURE_X="on"\n', './db_password.txt': 'hunter2\n' };

test('a web, redis and worker stack becomes workloads, services and a secret that pass the Shoal schemas, with only the depends_on warning', () => {
  const t = translate(parse(STACK), ENV, FILES);
  noErrors(t);
  assert.equal(
    warnings(t).map((d) => d.path),
    [['version'], ['services', 'web', 'depends_on']],
  );
  assert.match(warnings(t)[1]?.message ?? '', /Shoal starts every service at once/);
  assert.equal(
    t.objects.map((o) => `${o.manifest.kind}/${(o.manifest.metadata as { name: string }).name}`),
    ['Workload/web', 'Service/web', 'Workload/redis', 'Service/redis', 'Workload/worker', 'Secret/db-password'],
  );
  schemaChecked(t);
  assert.equal(manifestOf(t, 'Workload', 'web'), {
    apiVersion: 'shoal/v1',
    kind: 'Workload',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      image: 'example/web:1.4',
      args: ['gunicorn', 'app:app', '--bind', '0.0.0.0:80', '--workers', '4'],
      env: [
        { name: 'DATABASE_HOST', value: 'db' },
        { name: 'FEATURE_X', value: 'on' },
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'SESSION_KEY', value: 's3cret' },
      ],
      secrets: [{ name: 'db-password', mountPath: '/run/secrets' }],
      ports: [{ containerPort: 80, protocol: 'tcp' }],
      replicas: 3,
      resources: { cpu: '500m', memory: '512Mi' },
      readinessProbe: {
        exec: { command: ['sh', '-c', 'curl -fsS http://localhost/health || exit 1'] },
        periodSeconds: 10,
        timeoutSeconds: 3,
        failureThreshold: 5,
        initialDelaySeconds: 90,
      },
      capabilities: [...DOCKER_DEFAULT_CAPABILITIES],
    },
  });
  assert.equal(manifestOf(t, 'Service', 'web'), {
    apiVersion: 'shoal/v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { workload: 'web' }, ports: [{ port: 80, targetPort: 80, protocol: 'tcp', publish: { port: 8080 } }] },
  });
  assert.equal((manifestOf(t, 'Service', 'redis').spec as { ports: unknown }).ports, [{ port: 6379, targetPort: 6379, protocol: 'tcp' }]);
  assert.equal((manifestOf(t, 'Workload', 'redis').spec as { ports: unknown }).ports, [{ containerPort: 6379, protocol: 'tcp' }]);
  assert.equal(manifestOf(t, 'Workload', 'worker').spec, {
    image: 'example/web:1.4',
    args: ['celery', '-A', 'app', 'worker', '--concurrency', '4'],
    env: [
      { name: 'QUEUE', value: 'default' },
      { name: 'CONCURRENCY', value: '4' },
      { name: 'DEBUG', value: 'false' },
      { name: 'REDIS_URL', value: 'redis://redis:6379/0' },
    ],
    mode: 'global',
    restartPolicy: 'on-failure',
    capabilities: [...DOCKER_DEFAULT_CAPABILITIES],
  });
  assert.equal(manifestOf(t, 'Secret', 'db-password'), {
    apiVersion: 'shoal/v1',
    kind: 'Secret',
    metadata: { name: 'db-password', namespace: 'default' },
    data: { db_password: Buffer.from('hunter2\n').toString('base64') },
  });
});

test('every translated object says where it and each of its fields came from', () => {
  const t = translate(parse(STACK), ENV, FILES);
  const [workload, service] = t.objects;
  assert.equal(workload?.origin, ['services', 'web']);
  assert.equal(workload?.fieldOrigins['spec.image'], ['services', 'web', 'image']);
  assert.equal(workload?.fieldOrigins['spec.args'], ['services', 'web', 'command']);
  assert.equal(workload?.fieldOrigins['spec.env.0'], ['services', 'web', 'environment', 0]);
  assert.equal(workload?.fieldOrigins['spec.env.1'], ['services', 'web', 'env_file']);
  assert.equal(workload?.fieldOrigins['spec.replicas'], ['services', 'web', 'deploy', 'replicas']);
  assert.equal(workload?.fieldOrigins['spec.resources.memory'], ['services', 'web', 'deploy', 'resources', 'limits', 'memory']);
  assert.equal(workload?.fieldOrigins['spec.readinessProbe.periodSeconds'], ['services', 'web', 'healthcheck', 'interval']);
  assert.equal(workload?.fieldOrigins['metadata.name'], ['services', 'web']);
  assert.equal(service?.fieldOrigins['spec.ports.0'], ['services', 'web', 'ports', 0]);
  assert.equal(t.objects.at(-1)?.fieldOrigins['data.db_password'], ['secrets', 'db_password', 'file']);
  // A schema problem deep in a field is reported where that field was written.
  if (workload !== undefined) assert.equal(sourcePathOf(workload, ['spec', 'env', 2, 'name']), ['services', 'web', 'environment', 1]);
});

test('a schema problem in a translated label points at the label in the compose file', () => {
  const t = translate(web({ labels: { 'bad key!': 'x' } }));
  const workload = t.objects[0];
  assert.ok(workload);
  const parsed = workloadSchema.safeParse(workload.manifest);
  assert.not.ok(parsed.success);
  if (!parsed.success) assert.equal(sourcePathOf(workload, parsed.error.issues[0]?.path ?? []), ['services', 'web', 'labels', 'bad key!']);
});

test('the same file translates to deep-equal output every time', () => {
  const once = translate(parse(STACK), ENV, FILES);
  const again = translate(parse(STACK), ENV, FILES);
  assert.equal(again, once);
  assert.equal(JSON.stringify(again), JSON.stringify(once));
});

test('a compose document is a mapping with a services mapping and neither kind nor apiVersion', () => {
  assert.ok(isComposeDocument({ services: {} }));
  assert.ok(isComposeDocument(parse(STACK)));
  assert.not.ok(isComposeDocument({ services: [] }));
  assert.not.ok(isComposeDocument({ apiVersion: 'shoal/v1', kind: 'Workload', services: {} }));
  assert.not.ok(isComposeDocument({ kind: 'List', services: {} }));
  assert.not.ok(isComposeDocument([{ services: {} }]));
  assert.not.ok(isComposeDocument(null));
  assert.not.ok(isComposeDocument('services: {}'));
});

test('a document that is no mapping, or has no services mapping, is one error and no objects', () => {
  for (const [document, path] of [
    [null, []],
    [[], []],
    ['services', []],
    [{}, []],
    [{ services: ['web'] }, ['services']],
  ] as const) {
    const t = translate(document);
    assert.equal(t.objects, []);
    assert.equal(
      errors(t).map((d) => d.path),
      [path],
    );
  }
});

test('version, name, networks and declared volumes are warnings; configs and include are errors; x- keys are skipped', () => {
  const t = translate(
    web(
      {},
      { version: '3', name: 'shop', networks: { back: {} }, volumes: { data: {} }, configs: { nginx: { file: 'n.conf' } }, include: ['other.yaml'], 'x-common': { anything: 1 } },
    ),
  );
  assert.match(diagnosticAt(t, 'warning', ['version']).message, /obsolete/);
  assert.match(diagnosticAt(t, 'warning', ['name']).message, /namespace default/);
  assert.match(diagnosticAt(t, 'warning', ['networks']).message, /one network/);
  assert.match(diagnosticAt(t, 'warning', ['volumes']).message, /no volumes/);
  assert.match(diagnosticAt(t, 'error', ['configs']).message, /use secrets/);
  diagnosticAt(t, 'error', ['include']);
  assert.is(t.diagnostics.length, 6);
  assert.is(t.objects.length, 1);
});

test('an unknown top-level key or service key is an unknown-field error at its path', () => {
  const t = translate(web({ imagee: 'nginx' }, { servics: {} }));
  assert.match(diagnosticAt(t, 'error', ['servics']).message, /unknown field/);
  assert.match(diagnosticAt(t, 'error', ['services', 'web', 'imagee']).message, /unknown field/);
});

test('x- keys inside a service, at any depth, are skipped silently, and their variables are not interpolated', () => {
  const t = translate(
    web(
      { 'x-note': '${UNSET_HERE}', deploy: { 'x-team': 'a', resources: { limits: { 'x-why': 'b', cpus: 1 } } }, healthcheck: { test: 'true', 'x-c': 1 } },
      { 'x-defaults': { image: '${ALSO_UNSET}' }, secrets: { 'x-meta': 1 } },
    ),
  );
  assert.equal(t.diagnostics, []);
  assert.equal(webSpec(t).resources, { cpu: '1000m' });
});

test('a service name that is no DNS label is an error asking to rename it, and the service is skipped', () => {
  const t = translate({ services: { My_Web: { image: 'nginx' }, ok: { image: 'nginx' } } });
  assert.match(diagnosticAt(t, 'error', ['services', 'My_Web']).message, /rename it; Shoal names are DNS labels/);
  assert.equal(
    t.objects.map((o) => (o.manifest.metadata as { name: string }).name),
    ['ok'],
  );
});

test('a service with profiles is not translated, with a warning', () => {
  const t = translate({ services: { debug: { image: 'busybox', profiles: ['debug'] }, web: { image: 'nginx', profiles: [] } } });
  assert.match(diagnosticAt(t, 'warning', ['services', 'debug', 'profiles']).message, /runs only with a profile; not applied/);
  assert.equal(
    t.objects.map((o) => (o.manifest.metadata as { name: string }).name),
    ['web'],
  );
});

test('a service others depend on or link to, with no ports or expose, gets a warning that it cannot be reached by name', () => {
  const t = translate({
    services: {
      app: { image: 'app', depends_on: { db: { condition: 'service_healthy' } }, links: ['cache:c'] },
      db: { image: 'postgres' },
      cache: { image: 'redis', expose: ['6379'] },
      queue: { image: 'rabbitmq' },
    },
  });
  assert.equal(diagnosticAt(t, 'warning', ['services', 'db']).message, 'no ports or expose: other services cannot reach db by name; list the port it listens on under expose');
  assert.equal(
    t.diagnostics.filter((d) => d.path.length === 2),
    [{ severity: 'warning', path: ['services', 'db'], message: 'no ports or expose: other services cannot reach db by name; list the port it listens on under expose' }],
  );
  assert.not.ok(t.objects.some((o) => o.manifest.kind === 'Service' && (o.manifest.metadata as { name: string }).name === 'db'));
});

test('build with image is a warning and the image runs; build without image is an error; neither is an error at the service', () => {
  const both = translate(web({ build: '.' }));
  assert.match(diagnosticAt(both, 'warning', ['services', 'web', 'build']).message, /build is dropped/);
  assert.is(webSpec(both).image, 'nginx:1.27');
  const buildOnly = translate({ services: { web: { build: { context: '.' } } } });
  assert.match(diagnosticAt(buildOnly, 'error', ['services', 'web', 'build']).message, /does not build images/);
  assert.equal(buildOnly.objects, []);
  const neither = translate({ services: { web: { command: 'true' } } });
  assert.match(diagnosticAt(neither, 'error', ['services', 'web']).message, /needs image/);
  const empty = translate({ services: { web: null } });
  diagnosticAt(empty, 'error', ['services', 'web']);
});

test('entrypoint becomes spec.command and command spec.args, a string split as a shell splits words', () => {
  const spec = webSpec(translate(web({ entrypoint: '/bin/tini -- "my app"', command: `serve --msg 'hello world' a\\ b --x="y z" '#1' a#b *.txt` })));
  assert.equal(spec.command, ['/bin/tini', '--', 'my app']);
  assert.equal(spec.args, ['serve', '--msg', 'hello world', 'a b', '--x=y z', '#1', 'a#b', '*.txt']);
  assert.equal(webSpec(translate(web({ command: ['echo', 8080, true] }))).args, ['echo', '8080', 'true']);
});

test('a $ escaped as $$ reaches the command as written, for the shell it runs to expand', () => {
  const spec = webSpec(translate(web({ command: 'sh -c "echo $${HOME} $$PATH $$1"' })));
  assert.equal(spec.args, ['sh', '-c', 'echo ${HOME} ${PATH} $1']);
});

test('a shell operator outside quotes, or an open quote, in a command string is an error pointing to the list form', () => {
  for (const command of ['make && make install', 'cat a | grep b', 'run; other', 'app > out.log', 'echo "open']) {
    const t = translate(web({ command }));
    const error = diagnosticAt(t, 'error', ['services', 'web', 'command']);
    if (!command.includes('open')) assert.match(error.message, /use the list form, or \["sh", "-c", "..."\]/);
  }
  noErrors(translate(web({ command: 'sh -c "make && make install"' })));
});

test('an empty entrypoint is an error, since Shoal cannot clear the image ENTRYPOINT; an empty command keeps CMD', () => {
  diagnosticAt(translate(web({ entrypoint: [] })), 'error', ['services', 'web', 'entrypoint']);
  const t = translate(web({ command: [] }));
  noErrors(t);
  assert.is(webSpec(t).args, undefined);
});

test('labels as a mapping or a list become metadata.labels', () => {
  const mapped = translate(web({ labels: { tier: 'front', version: 2, empty: null } }));
  assert.equal((manifestOf(mapped, 'Workload', 'web').metadata as { labels: unknown }).labels, { tier: 'front', version: '2', empty: '' });
  const listed = translate(web({ labels: ['tier=front', 'flag'] }));
  assert.equal((manifestOf(listed, 'Workload', 'web').metadata as { labels: unknown }).labels, { tier: 'front', flag: '' });
  diagnosticAt(translate(web({ labels: 'tier=front' })), 'error', ['services', 'web', 'labels']);
});

test("a service keeps Docker's default capabilities with cap_add added and cap_drop taken away; privileged true is an error and false is nothing", () => {
  const t = translate(web({ cap_add: ['CAP_NET_ADMIN', 'net_bind_service', 'NET_ADMIN'], cap_drop: ['ALL'], privileged: false }));
  assert.equal(webSpec(t).capabilities, ['NET_ADMIN', 'NET_BIND_SERVICE'], 'ALL drops the defaults');
  noErrors(t);
  assert.equal(t.diagnostics, []);
  const defaults = webSpec(translate(web({ cap_drop: ['NET_RAW', 'CAP_MKNOD'] }))).capabilities as string[];
  assert.equal(
    defaults,
    [...DOCKER_DEFAULT_CAPABILITIES].filter((c) => c !== 'NET_RAW' && c !== 'MKNOD'),
  );
  assert.equal(webSpec(translate(web({}))).capabilities, [...DOCKER_DEFAULT_CAPABILITIES]);
  assert.match(diagnosticAt(translate(web({ privileged: true })), 'error', ['services', 'web', 'privileged']).message, /cap_add/);
  diagnosticAt(translate(web({ cap_add: ['ALL'] })), 'error', ['services', 'web', 'cap_add', 0]);
});

test('merge keys left in the document are applied, the service own keys winning', () => {
  const t = translate(parse('x-base: &base\n  image: base:1\n  restart: always\nservices:\n  web:\n    <<: *base\n    restart: "no"\n'));
  noErrors(t);
  assert.equal(webSpec(t), { image: 'base:1', restartPolicy: 'never', capabilities: [...DOCKER_DEFAULT_CAPABILITIES] });
});

test('the context is all the translator reads: files and variables come only through it', () => {
  let reads = 0;
  const t = translateCompose(web({ env_file: ['a.env'] }), {
    env: {},
    readFile: (path) => {
      reads++;
      return path === 'a.env' ? 'A=1' : undefined;
    },
  });
  assert.is(reads, 1);
  assert.equal(webSpec(t).env, [{ name: 'A', value: '1' }]);
  // A reader that throws is a file that cannot be read, not a crash.
  const throwing = translateCompose(web({ env_file: 'a.env' }), {
    env: {},
    readFile: () => {
      throw new Error('EACCES');
    },
  });
  assert.match(diagnosticAt(throwing, 'error', ['services', 'web', 'env_file']).message, /cannot read a\.env/);
  assert.equal(translateCompose(web({}), contextOf()).diagnostics, []);
});

test.run();

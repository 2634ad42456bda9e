import fc from 'fast-check';
import { test } from 'uvu';
import { replacedAt, valuePaths } from './value-paths.js';
import * as assert from 'uvu/assert';
import { type ComposeContext, INTERNAL_ERROR, translateCompose } from '../../../protocol/manifests/foreign/compose/index.js';
import type { SourcePath, Translation } from '../../../protocol/manifests/foreign/translation.js';
import { secretSchema } from '../../../protocol/manifests/secret.js';
import { serviceSchema } from '../../../protocol/manifests/service.js';
import { workloadSchema } from '../../../protocol/manifests/workload.js';

// Each run translates a whole file twice: fewer runs than a codec's, still well past the odd corner.
const RUNS = 2_000;

const FILES: Record<string, string> = { 'db.txt': 'hunter2\n', 'app.env': 'A=1\n# c\nB="two words"\nC=${API_KEY}\n' };
const CONTEXT: ComposeContext = { env: { API_KEY: 'k-123', TAG: '1.4', EMPTY: '' }, readFile: (path) => (Object.hasOwn(FILES, path) ? FILES[path] : undefined) };

/** Does the path lead to something in the document, so the CLI can turn it into a line? */
function resolves(document: unknown, path: SourcePath): boolean {
  let node = document;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < node.length) node = node[key];
    else if (node !== null && typeof node === 'object' && !Array.isArray(node) && typeof key === 'string' && Object.hasOwn(node, key))
      node = (node as Record<string, unknown>)[key];
    else return false;
  }
  return true;
}

/** A merge key moves fields to where the YAML did not write them; paths into such a document are checked no further. */
function hasMergeKey(value: unknown, depth = 0): boolean {
  if (depth > 80 || value === null || typeof value !== 'object') return false;
  if (!Array.isArray(value) && Object.hasOwn(value, '<<')) return true;
  return Object.values(value).some((v) => hasMergeKey(v, depth + 1));
}

/** What every translation owes the CLI, whatever it was given. */
function checkTranslation(document: unknown, context: ComposeContext = CONTEXT): Translation {
  const t = translateCompose(document, context);
  const checkPaths = !hasMergeKey(document);
  for (const d of t.diagnostics) {
    assert.ok(d.severity === 'error' || d.severity === 'warning');
    assert.type(d.message, 'string');
    assert.ok(d.message.length > 0);
    assert.not.ok(d.message.startsWith(INTERNAL_ERROR), d.message);
    assert.ok(
      d.path.every((k) => typeof k === 'string' || typeof k === 'number'),
      JSON.stringify(d.path),
    );
    if (checkPaths) assert.ok(resolves(document, d.path), `diagnostic path ${JSON.stringify(d.path)} is not in the document: ${d.message}`);
  }
  for (const o of t.objects) {
    assert.equal(JSON.parse(JSON.stringify(o.manifest)), o.manifest, 'a manifest is plain JSON');
    if (!checkPaths) continue;
    assert.ok(resolves(document, o.origin), `origin ${JSON.stringify(o.origin)}`);
    for (const [field, origin] of Object.entries(o.fieldOrigins)) assert.ok(resolves(document, origin), `${field} from ${JSON.stringify(origin)}`);
  }
  assert.equal(translateCompose(document, context), t, 'the same input gives the same output');
  return t;
}

const schemaOf = (kind: unknown) => (kind === 'Workload' ? workloadSchema : kind === 'Service' ? serviceSchema : secretSchema);

// --- valid compose files, built from fields Shoal translates without an error -----------------

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/);
const labelKey = fc.stringMatching(/^[a-z][a-z0-9.]{0,10}$/);

const serviceFields = (index: number) =>
  fc.record(
    {
      image: fc.constantFrom('nginx:1.27', 'redis:7', 'example/app:${TAG}', 'ghcr.io/acme/api@sha256:0123abcd'),
      command: fc.oneof(
        fc.array(word, { maxLength: 4 }).map((w) => w.join(' ')),
        fc.array(fc.oneof(word, fc.nat(65535)), { maxLength: 4 }),
      ),
      entrypoint: fc.constantFrom(['/bin/tini', '--'], 'docker-entrypoint.sh'),
      environment: fc.oneof(
        fc.dictionary(
          envName,
          fc.oneof(
            fc.string({ maxLength: 10 }).map((s) => s.replaceAll('$', () => '$$')),
            fc.integer(),
            fc.boolean(),
          ),
        ),
        fc.array(
          fc.tuple(envName, word).map(([k, v]) => `${k}=${v}`),
          { maxLength: 4 },
        ),
      ),
      env_file: fc.constantFrom(
        'app.env',
        ['app.env'],
        [
          { path: 'app.env', required: true },
          { path: 'gone.env', required: false },
        ],
      ),
      ports: fc.subarray([`${8000 + index}:80`, '443', '53/udp', { target: 9000, published: 9100 + index, protocol: 'tcp' }, { target: 9200, mode: 'host' }]),
      expose: fc.subarray(['6379', 3000, '5000/udp']),
      deploy: fc.record(
        {
          mode: fc.constantFrom('replicated', 'global'),
          replicas: fc.nat(20),
          resources: fc.record({ limits: fc.record({ cpus: fc.constantFrom('0.5', 1, '2.25'), memory: fc.constantFrom('64m', '1g', '512M', 1048576) }, { requiredKeys: [] }) }),
          restart_policy: fc.record({ condition: fc.constantFrom('none', 'on-failure', 'any') }),
          placement: fc.record(
            {
              constraints: fc.array(
                fc.tuple(labelKey, fc.constantFrom('==', '!='), word).map(([k, op, v]) => `node.labels.${k}${op}${v}`),
                { maxLength: 3 },
              ),
              max_replicas_per_node: fc.nat(5),
              preferences: fc.constant([{ spread: 'node.labels.zone' }]),
            },
            { requiredKeys: [] },
          ),
          update_config: fc.record({ parallelism: fc.nat(5), order: fc.constantFrom('stop-first', 'start-first') }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      ),
      healthcheck: fc.record(
        {
          test: fc.constantFrom('curl -f http://localhost/', ['CMD', 'true'], ['CMD-SHELL', 'pg_isready'], ['NONE']),
          interval: fc.constantFrom('10s', '1m30s', '500ms'),
          timeout: fc.constantFrom('3s', '1s'),
          retries: fc.integer({ min: 1, max: 10 }),
          start_period: fc.constantFrom('0s', '30s'),
        },
        { requiredKeys: ['test'] },
      ),
      labels: fc.dictionary(labelKey, word, { maxKeys: 3 }),
      restart: fc.constantFrom('no', 'always', 'unless-stopped', 'on-failure'),
      cap_add: fc.subarray(['NET_ADMIN', 'CAP_NET_BIND_SERVICE', 'SYS_TIME']),
      secrets: fc.subarray(['db_password', 'api_key', { source: 'db_password', target: 'db_password' }]),
    },
    { requiredKeys: ['image'] },
  );

const NAMES = ['web', 'api', 'db', 'cache', 'worker'];

const validCompose: fc.Arbitrary<Record<string, unknown>> = fc.tuple(fc.subarray(NAMES, { minLength: 1 }), fc.boolean()).chain(([names, withExtension]) =>
  fc.tuple(...names.map((_, i) => serviceFields(i))).map((services) => ({
    ...(withExtension ? { 'x-common': { anything: '${UNSET}' } } : {}),
    services: Object.fromEntries(names.map((name, i) => [name, services[i]])),
    secrets: { db_password: { file: 'db.txt' }, api_key: { environment: 'API_KEY' } },
  })),
);

test('a compose file of translatable fields translates without errors into manifests that pass their schemas', () => {
  fc.assert(
    fc.property(validCompose, (document) => {
      const t = checkTranslation(document);
      assert.equal(
        t.diagnostics.filter((d) => d.severity === 'error'),
        [],
      );
      for (const o of t.objects) {
        const parsed = schemaOf(o.manifest.kind).safeParse(o.manifest);
        assert.ok(parsed.success, `${JSON.stringify(o.manifest)}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`);
      }
    }),
    { numRuns: RUNS / 4, includeErrorInReport: true },
  );
});

// --- anything, and valid files broken in one place ----------------------------------------------

const anything = fc.anything({
  withNullPrototype: true,
  withObjectString: true,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withSparseArray: true,
  withTypedArray: true,
  withDate: true,
  withBigInt: true,
});

test('translateCompose never throws on any value, and its diagnostics point into the value', () => {
  fc.assert(
    fc.property(anything, (document) => {
      checkTranslation(document);
    }),
    { numRuns: RUNS, includeErrorInReport: true },
  );
});

const COMPOSE_KEYS = [
  'services',
  'secrets',
  'version',
  'volumes',
  'web',
  'db',
  'image',
  'command',
  'entrypoint',
  'environment',
  'env_file',
  'ports',
  'expose',
  'deploy',
  'resources',
  'limits',
  'reservations',
  'cpus',
  'memory',
  'replicas',
  'mode',
  'placement',
  'constraints',
  'preferences',
  'update_config',
  'restart_policy',
  'healthcheck',
  'test',
  'interval',
  'labels',
  'secrets',
  'file',
  'external',
  'target',
  'published',
  'protocol',
  'x-ext',
  '<<',
  '__proto__',
  'constructor',
];

test('translateCompose never throws on values shaped from compose keys', () => {
  const key = fc.oneof(fc.constantFrom(...COMPOSE_KEYS), fc.string({ maxLength: 6 }));
  fc.assert(
    fc.property(fc.anything({ key, maxDepth: 6, withNullPrototype: true, withSparseArray: true }), (document) => {
      checkTranslation(document);
    }),
    { numRuns: RUNS, includeErrorInReport: true },
  );
});

/** Values that reach the translator's edges: interpolation, ranges, quantities, shell syntax. */
const tricky = fc.constantFrom(
  '${',
  '${}',
  '$$',
  '${UNSET:?boom}',
  '${EMPTY:-${TAG}}',
  '$',
  '"open',
  'a && b',
  "'",
  '8080:80',
  '1-100000:1-100000',
  '0-0',
  '65536',
  '[::1]:80:80/udp',
  ':::',
  '/',
  '0.0001',
  '1e21',
  '-1',
  'on-failure:99',
  'node.role==manager',
  'node.labels.==x',
  '__proto__',
  'constructor',
  'CMD',
  ['CMD'],
  ['NONE', 1],
  -1,
  0,
  1.5,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  null,
  [],
  {},
);

const replacement = fc.oneof(
  { arbitrary: tricky, weight: 4 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: anything, weight: 2 },
  { arbitrary: fc.constant(undefined), weight: 1 },
);

test('translateCompose never throws on valid compose files broken in one or more places', () => {
  const broken = validCompose.chain((document) =>
    fc
      .array(fc.record({ path: fc.constantFrom(...valuePaths(document)), by: replacement }), { minLength: 1, maxLength: 3 })
      .map((edits) => edits.reduce<unknown>((doc, { path, by }) => replacedAt(doc, path, by), document)),
  );
  fc.assert(
    fc.property(broken, (document) => {
      checkTranslation(document);
    }),
    { numRuns: RUNS, includeErrorInReport: true },
  );
});

test('a context whose reader throws or whose environment is odd cannot make the translator throw', () => {
  const odd: ComposeContext = {
    env: Object.create({ INHERITED: 'x' }) as Record<string, string>,
    readFile: () => {
      throw new Error('EACCES');
    },
  };
  fc.assert(
    fc.property(validCompose, (document) => {
      checkTranslation(document, odd);
    }),
    { numRuns: RUNS / 10, includeErrorInReport: true },
  );
});

test.run();

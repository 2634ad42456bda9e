import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diagnosticAt, errors, manifestOf, noErrors, schemaChecked, translate, warnings, web, webSpec } from './compose-helpers.js';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const secretNames = (t: ReturnType<typeof translate>): string[] => t.objects.filter((o) => o.manifest.kind === 'Secret').map((o) => (o.manifest.metadata as { name: string }).name);

test('a file secret becomes a Shoal Secret keyed by its compose name, mounted in /run/secrets', () => {
  const t = translate(web({ secrets: ['db_password'] }, { secrets: { db_password: { file: './secrets/db.txt' } } }), {}, { './secrets/db.txt': 'p@ss' });
  noErrors(t);
  schemaChecked(t);
  assert.equal(manifestOf(t, 'Secret', 'db-password').data, { db_password: b64('p@ss') });
  assert.equal(webSpec(t).secrets, [{ name: 'db-password', mountPath: '/run/secrets' }]);
  assert.equal(t.objects.at(-1)?.origin, ['secrets', 'db_password']);
});

test('an environment secret takes its value from the context environment; unset is an error at its path', () => {
  const document = web({ secrets: ['API_TOKEN'] }, { secrets: { API_TOKEN: { environment: 'TOKEN' } } });
  const t = translate(document, { TOKEN: 'abc' });
  noErrors(t);
  assert.equal(manifestOf(t, 'Secret', 'api-token').data, { API_TOKEN: b64('abc') });
  assert.match(diagnosticAt(translate(document), 'error', ['secrets', 'API_TOKEN', 'environment']).message, /TOKEN is not set/);
});

test('an unreadable secret file is an error at the file field', () => {
  const t = translate(web({ secrets: ['key'] }, { secrets: { key: { file: 'missing.pem' } } }));
  assert.match(diagnosticAt(t, 'error', ['secrets', 'key', 'file']).message, /cannot read missing\.pem/);
  assert.equal(secretNames(t), []);
});

test('an external secret is mounted whole and no Secret is emitted; its name may be given', () => {
  const t = translate(web({ secrets: ['tls', 'legacy'] }, { secrets: { tls: { external: true, name: 'site-tls' }, legacy: { external: { name: 'old_cert' } } } }));
  noErrors(t);
  assert.equal(secretNames(t), []);
  assert.equal(webSpec(t).secrets, [
    { name: 'site-tls', mountPath: '/run/secrets' },
    { name: 'old-cert', mountPath: '/run/secrets' },
  ]);
});

test('the long form mounts by source; a target other than the name is an error; uid, gid and mode are warnings', () => {
  const secrets = { cert: { file: 'cert.pem' } };
  const ok = translate(
    web(
      {
        secrets: [
          { source: 'cert', target: 'cert', uid: '100', gid: '100', mode: 0o400 },
          { source: 'cert', target: '/run/secrets/cert' },
        ],
      },
      { secrets },
    ),
    {},
    { 'cert.pem': 'PEM' },
  );
  noErrors(ok);
  for (const key of ['uid', 'gid', 'mode']) diagnosticAt(ok, 'warning', ['services', 'web', 'secrets', 0, key]);
  assert.equal(webSpec(ok).secrets, [{ name: 'cert', mountPath: '/run/secrets' }]);
  const renamed = translate(web({ secrets: [{ source: 'cert', target: 'server.pem' }] }, { secrets }), {}, { 'cert.pem': 'PEM' });
  assert.equal(
    diagnosticAt(renamed, 'error', ['services', 'web', 'secrets', 0, 'target']).message,
    'Shoal mounts a secret under its own name in /run/secrets; drop target or name the secret server.pem',
  );
  diagnosticAt(translate(web({ secrets: [{ source: 'cert', target: '/etc/ssl/cert.pem' }] }, { secrets }), {}, { 'cert.pem': 'PEM' }), 'error', [
    'services',
    'web',
    'secrets',
    0,
    'target',
  ]);
});

test('an undeclared secret is an error at its use', () => {
  const t = translate(web({ secrets: ['nope', { source: 'nada' }] }));
  assert.match(diagnosticAt(t, 'error', ['services', 'web', 'secrets', 0]).message, /no secret nope is declared/);
  diagnosticAt(t, 'error', ['services', 'web', 'secrets', 1]);
});

test('only used secrets become Shoal Secrets, once however many services use them, in declaration order', () => {
  const t = translate(
    {
      services: { a: { image: 'x', secrets: ['two', 'one', 'one'] }, b: { image: 'y', secrets: ['one'] }, c: { image: 'z', profiles: ['p'], secrets: ['three'] } },
      secrets: { one: { file: '1' }, two: { file: '2' }, three: { file: '3' }, unused: { file: 'never-read' } },
    },
    {},
    { '1': 'one', '2': 'two', '3': 'three' },
  );
  noErrors(t);
  assert.equal(secretNames(t), ['one', 'two']);
  assert.equal((manifestOf(t, 'Workload', 'a').spec as { secrets: unknown }).secrets, [
    { name: 'two', mountPath: '/run/secrets' },
    { name: 'one', mountPath: '/run/secrets' },
  ]);
});

test('a secret whose name cannot become a Shoal name or a file name is an error at its declaration', () => {
  const t = translate(web({ secrets: ['Bad.Name', 'a b'] }, { secrets: { 'Bad.Name': { file: 'x' }, 'a b': { file: 'y' } } }), {}, { x: '1', y: '2' });
  assert.match(diagnosticAt(t, 'error', ['secrets', 'Bad.Name']).message, /rename it/);
  assert.is(errors(t).filter((e) => e.path[1] === 'a b').length, 2);
  assert.equal(secretNames(t), []);
});

test('two used secrets that become the same Shoal name are an error on the second', () => {
  const t = translate(web({ secrets: ['db_pass', 'db-pass'] }, { secrets: { db_pass: { file: 'a' }, 'db-pass': { file: 'b' } } }), {}, { a: '1', b: '2' });
  assert.match(diagnosticAt(t, 'error', ['secrets', 'db-pass']).message, /both become Shoal Secret db-pass/);
});

test('a declaration with no source or two, a driver, or an unknown key is an error; labels are a warning', () => {
  const t = translate(
    web(
      {},
      {
        secrets: {
          none: {},
          two: { file: 'a', environment: 'B' },
          driven: { file: 'a', driver: 'vault' },
          odd: { file: 'a', rotate: true },
          labelled: { file: 'a', labels: { team: 'x' } },
          notamap: 'file.txt',
        },
      },
    ),
  );
  diagnosticAt(t, 'error', ['secrets', 'none']);
  diagnosticAt(t, 'error', ['secrets', 'two']);
  diagnosticAt(t, 'error', ['secrets', 'driven', 'driver']);
  diagnosticAt(t, 'error', ['secrets', 'odd', 'rotate']);
  diagnosticAt(t, 'error', ['secrets', 'notamap']);
  diagnosticAt(t, 'warning', ['secrets', 'labelled', 'labels']);
  assert.is(warnings(t).length, 1);
});

test.run();

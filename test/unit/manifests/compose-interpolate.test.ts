import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type InterpolationIssue, interpolateString } from '../../../protocol/manifests/foreign/compose/interpolate.js';
import { parseEnvFile } from '../../../protocol/manifests/foreign/compose/env-file.js';
import { diagnosticAt, errors, noErrors, translate, warnings, web, webSpec } from './compose-helpers.js';

const ENV: Record<string, string> = { NAME: 'shoal', EMPTY: '', TAG: '1.4', OTHER: 'fallback' };
const lookup = (name: string): string | undefined => (Object.hasOwn(ENV, name) ? ENV[name] : undefined);

function interpolated(text: string): { text: string; issues: InterpolationIssue[] } {
  const issues: InterpolationIssue[] = [];
  return { text: interpolateString(text, lookup, issues), issues };
}

test('interpolation replaces $VAR and ${VAR}, turns $$ into $, and leaves a $ that starts no variable', () => {
  for (const [text, expected] of [
    ['$NAME', 'shoal'],
    ['${NAME}', 'shoal'],
    ['x-$NAME-y', 'x-shoal-y'],
    ['${NAME}suffix', 'shoalsuffix'],
    ['$NAMEsuffix', ''],
    ['$$NAME', '$NAME'],
    ['$${NAME}', '${NAME}'],
    ['price: 5$', 'price: 5$'],
    ['$1 and $ alone', '$1 and $ alone'],
    ['no variables', 'no variables'],
  ] as const) {
    assert.is(interpolated(text).text, expected, text);
  }
});

test('defaults apply when unset (-) or unset or empty (:-), and may themselves hold variables', () => {
  for (const [text, expected] of [
    ['${UNSET:-d}', 'd'],
    ['${EMPTY:-d}', 'd'],
    ['${NAME:-d}', 'shoal'],
    ['${UNSET-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${UNSET:-${OTHER}}', 'fallback'],
    ['${UNSET:-${ALSO_UNSET:-deep}}', 'deep'],
    ['${UNSET:-a:b/c}', 'a:b/c'],
    ['${UNSET:-}', ''],
    ['image:${TAG:-latest}', 'image:1.4'],
  ] as const) {
    const result = interpolated(text);
    assert.is(result.text, expected, text);
    assert.equal(result.issues, [], text);
  }
});

test('alternatives apply when set (+) or set and not empty (:+)', () => {
  for (const [text, expected] of [
    ['${NAME:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${UNSET:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${NAME:+--name=$NAME}', '--name=shoal'],
  ] as const) {
    assert.is(interpolated(text).text, expected, text);
  }
});

test('a required variable that is missing is an error carrying the message', () => {
  assert.equal(interpolated('${UNSET:?set UNSET to the region}').issues, [{ severity: 'error', message: 'UNSET is required: set UNSET to the region' }]);
  assert.equal(interpolated('${EMPTY:?must not be empty}').issues, [{ severity: 'error', message: 'EMPTY is required: must not be empty' }]);
  assert.equal(interpolated('${EMPTY?msg}').issues, []);
  assert.equal(interpolated('${UNSET?}').issues, [{ severity: 'error', message: 'UNSET is required: it is not set' }]);
  assert.is(interpolated('${NAME:?msg}').text, 'shoal');
});

test('an unset variable with no default is an empty string and a warning', () => {
  const result = interpolated('a${UNSET}b$ALSO');
  assert.is(result.text, 'ab');
  assert.equal(result.issues, [
    { severity: 'warning', message: 'UNSET is not set: an empty string is used' },
    { severity: 'warning', message: 'ALSO is not set: an empty string is used' },
  ]);
});

test('an unterminated ${, or a ${...} that names no variable, is an error', () => {
  assert.equal(
    interpolated('${NAME').issues.map((i) => i.severity),
    ['error'],
  );
  assert.match(interpolated('x ${UNSET:-${NAME}').issues[0]?.message ?? '', /unterminated/);
  assert.equal(
    interpolated('${}').issues.map((i) => i.severity),
    ['error'],
  );
  assert.equal(
    interpolated('${1}').issues.map((i) => i.severity),
    ['error'],
  );
  assert.equal(
    interpolated('${NAME!}').issues.map((i) => i.severity),
    ['error'],
  );
});

test('a variable named like an Object property is unset unless the environment has it', () => {
  assert.is(interpolated('${constructor:-none}').text, 'none');
  assert.is(interpolated('${toString-none}').text, 'none');
});

test('interpolation runs over every string value of the file, and its diagnostics point at the value', () => {
  const t = translate(web({ image: 'nginx:${TAG}', environment: { A: '${UNSET}', B: '${REQUIRED:?give B}' }, ports: ['${PORT:-8080}:80'] }), { TAG: '1.27' });
  assert.is(webSpec(t).image, 'nginx:1.27');
  assert.equal(diagnosticAt(t, 'warning', ['services', 'web', 'environment', 'A']).message, 'UNSET is not set: an empty string is used');
  assert.equal(diagnosticAt(t, 'error', ['services', 'web', 'environment', 'B']).message, 'REQUIRED is required: give B');
  assert.equal((t.objects[1]?.manifest.spec as { ports: unknown } | undefined)?.ports, [{ port: 80, targetPort: 80, protocol: 'tcp', publish: { port: 8080 } }]);
  diagnosticAt(translate(web({ command: 'echo ${oops' })), 'error', ['services', 'web', 'command']);
});

test('keys are not interpolated', () => {
  const t = translate(web({ environment: { $KEY: 'v' } }), { KEY: 'K' });
  assert.match(diagnosticAt(t, 'error', ['services', 'web', 'environment', '$KEY']).message, /not a variable name/);
});

test('environment as a list or a mapping; numbers and booleans become strings; a bare KEY comes from the environment', () => {
  const listed = translate(web({ environment: ['A=1', 'B=x=y', 'C=', 'FROM_SHELL', 'MISSING'] }), { FROM_SHELL: 'here' });
  assert.equal(webSpec(listed).env, [
    { name: 'A', value: '1' },
    { name: 'B', value: 'x=y' },
    { name: 'C', value: '' },
    { name: 'FROM_SHELL', value: 'here' },
  ]);
  assert.equal(diagnosticAt(listed, 'warning', ['services', 'web', 'environment', 4]).message, 'MISSING is not set: the variable is left out');
  const mapped = translate(web({ environment: { PORT: 8080, DEBUG: true, RATIO: 0.5, FROM_SHELL: null } }), { FROM_SHELL: 'here' });
  noErrors(mapped);
  assert.equal(webSpec(mapped).env, [
    { name: 'PORT', value: '8080' },
    { name: 'DEBUG', value: 'true' },
    { name: 'RATIO', value: '0.5' },
    { name: 'FROM_SHELL', value: 'here' },
  ]);
});

test('an environment name that is not letters, digits and _ is an error; so is a value that is a list or mapping', () => {
  const t = translate(web({ environment: { '1BAD': 'x', 'WITH-DASH': 'y', NESTED: { a: 1 } } }));
  diagnosticAt(t, 'error', ['services', 'web', 'environment', '1BAD']);
  diagnosticAt(t, 'error', ['services', 'web', 'environment', 'WITH-DASH']);
  diagnosticAt(t, 'error', ['services', 'web', 'environment', 'NESTED']);
  diagnosticAt(translate(web({ environment: [42] })), 'error', ['services', 'web', 'environment', 0]);
  diagnosticAt(translate(web({ environment: 'A=1' })), 'error', ['services', 'web', 'environment']);
});

test('env_file lines are read with comments, blank lines, export and quotes handled', () => {
  const { entries, problems } = parseEnvFile(
    [
      '# a comment',
      '',
      'PLAIN=value',
      'export EXPORTED=yes',
      'SPACED = padded  ',
      'DOUBLE="two words"',
      "SINGLE='it''s'",
      'INLINE=abc # comment',
      'HASH=a#b',
      'ESC="a\\nb"',
      'BARE',
      '9BAD=x',
    ].join('\r\n'),
  );
  assert.equal(
    entries.map((e) => [e.name, e.value]),
    [
      ['PLAIN', 'value'],
      ['EXPORTED', 'yes'],
      ['SPACED', 'padded'],
      ['DOUBLE', 'two words'],
      ['SINGLE', "it''s"],
      ['INLINE', 'abc'],
      ['HASH', 'a#b'],
      ['ESC', 'a\nb'],
      ['BARE', undefined],
    ],
  );
  assert.equal(
    problems.map((p) => p.line),
    [12],
  );
});

test('env_file comes first, environment wins and keeps the first place, files in their order', () => {
  const t = translate(
    web({ env_file: ['base.env', 'local.env'], environment: { B: 'env', D: 'env' } }),
    {},
    { 'base.env': 'A=base\nB=base\nC=base\n', 'local.env': 'C=local\nE=local\n' },
  );
  noErrors(t);
  assert.equal(webSpec(t).env, [
    { name: 'A', value: 'base' },
    { name: 'B', value: 'env' },
    { name: 'C', value: 'local' },
    { name: 'E', value: 'local' },
    { name: 'D', value: 'env' },
  ]);
});

test('env_file values are interpolated unless single-quoted or format raw, and may name earlier ones', () => {
  const files = { 'a.env': "HOST=db\nURL=postgres://${HOST}/$DB\nLITERAL='${HOST}'\n", 'raw.env': 'RAW=${HOST}\n' };
  const t = translate(web({ env_file: ['a.env', { path: 'raw.env', format: 'raw' }] }), { DB: 'shop' }, files);
  noErrors(t);
  assert.equal(webSpec(t).env, [
    { name: 'HOST', value: 'db' },
    { name: 'URL', value: 'postgres://db/shop' },
    { name: 'LITERAL', value: '${HOST}' },
    { name: 'RAW', value: '${HOST}' },
  ]);
});

test('a missing env_file is an error at its path, unless required: false; a bad line is an error naming the line', () => {
  const t = translate(web({ env_file: ['gone.env', { path: 'optional.env', required: false }, { path: 'also-gone.env', required: true }] }));
  assert.match(diagnosticAt(t, 'error', ['services', 'web', 'env_file', 0]).message, /cannot read gone\.env/);
  diagnosticAt(t, 'error', ['services', 'web', 'env_file', 2, 'path']);
  assert.is(errors(t).length, 2);
  const bad = translate(web({ env_file: 'x.env' }), {}, { 'x.env': 'GOOD=1\nnot a line\n' });
  assert.match(diagnosticAt(bad, 'error', ['services', 'web', 'env_file']).message, /^x\.env line 2: /);
  assert.equal(webSpec(bad).env, [{ name: 'GOOD', value: '1' }]);
  const unset = translate(web({ env_file: 'x.env' }), {}, { 'x.env': 'FROM_SHELL\n' });
  assert.match(warnings(unset)[0]?.message ?? '', /line 1: FROM_SHELL is not set/);
  diagnosticAt(translate(web({ env_file: [{ required: false }] })), 'error', ['services', 'web', 'env_file', 0]);
  diagnosticAt(translate(web({ env_file: [{ path: 'a', required: 'no' }] }, {})), 'error', ['services', 'web', 'env_file', 0, 'required']);
});

test.run();

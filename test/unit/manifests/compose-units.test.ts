import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryQuantity, parseByteSize } from '../../../protocol/manifests/foreign/compose/byte-sizes.js';
import { parseDuration } from '../../../protocol/manifests/foreign/compose/durations.js';
import { shellWords } from '../../../protocol/manifests/foreign/compose/shell-words.js';
import { memoryBytes } from '../../../protocol/manifests/quantity.js';
import { diagnosticAt, noErrors, translate, warnings, web, webSpec } from './compose-helpers.js';

test('Compose durations read as seconds', () => {
  for (const [text, seconds] of [
    ['10s', 10],
    ['1m30s', 90],
    ['500ms', 0.5],
    ['1h', 3600],
    ['1h2m3s', 3723],
    ['1.5s', 1.5],
    ['250us', 0.00025],
    ['0', 0],
    [0, 0],
  ] as const) {
    assert.is(parseDuration(text), seconds, String(text));
  }
});

test('malformed durations, and bare numbers other than 0, are refused', () => {
  for (const text of ['10', 10, '', 's', '10 s', '-5s', '1d', '5sx', null, ['1s']]) assert.is(parseDuration(text), undefined, String(text));
});

test('Docker sizes read as bytes with binary units; a plain number is bytes', () => {
  for (const [text, bytes] of [
    ['512m', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['50M', 50 * 1024 ** 2],
    ['1024k', 1024 ** 2],
    ['100b', 100],
    ['1GiB', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['2 GB', 2 * 1024 ** 3],
    ['4096', 4096],
    [52428800, 52428800],
  ] as const) {
    assert.is(parseByteSize(text), bytes, String(text));
  }
  for (const text of ['', 'lots', '1x', '-1m', -5, Number.NaN, '1e3m', null]) assert.is(parseByteSize(text), undefined, String(text));
});

test('bytes become a memory quantity the Shoal schema reads back to the same bytes', () => {
  for (const bytes of [100, 1024, 52428800, 512 * 1024 ** 2, 1024 ** 3, 3 * 1024 ** 4, 1536 * 1024 ** 2 + 7]) {
    assert.is(memoryBytes(memoryQuantity(bytes)), bytes, String(bytes));
  }
  assert.is(memoryQuantity(512 * 1024 ** 2), '512Mi');
  assert.is(memoryQuantity(1024 ** 3), '1Gi');
  assert.is(memoryQuantity(100), 100);
});

test('command strings split into words as a shell splits them', () => {
  for (const [text, words] of [
    ['a b  c', ['a', 'b', 'c']],
    [`"a b" 'c d' e\\ f`, ['a b', 'c d', 'e f']],
    [`--flag="x y"`, ['--flag=x y']],
    [`"quote \\" inside"`, ['quote " inside']],
    [`'single \\ stays'`, ['single \\ stays']],
    ['http://host/#frag', ['http://host/#frag']],
    ['', []],
  ] as const) {
    assert.equal(shellWords(text), { ok: true, words }, text);
  }
  for (const text of ['a && b', 'a || b', 'a | b', 'a; b', 'a > f', 'a < f', 'a &', '"open', "'open", '(sub)']) assert.is(shellWords(text).ok, false, text);
});

test('a CMD-SHELL or string healthcheck runs under sh -c; a CMD one runs as it is; timings fill Compose defaults', () => {
  const shell = webSpec(translate(web({ healthcheck: { test: 'curl -f http://localhost' } })));
  assert.equal(shell.readinessProbe, {
    exec: { command: ['sh', '-c', 'curl -f http://localhost'] },
    periodSeconds: 30,
    timeoutSeconds: 30,
    failureThreshold: 3,
    initialDelaySeconds: 0,
  });
  const cmdShell = webSpec(translate(web({ healthcheck: { test: ['CMD-SHELL', 'pg_isready', '-U', 'app'] } })));
  assert.equal((cmdShell.readinessProbe as { exec: unknown }).exec, { command: ['sh', '-c', 'pg_isready -U app'] });
  const cmd = webSpec(translate(web({ healthcheck: { test: ['CMD', 'redis-cli', 'ping'], interval: '500ms', timeout: '2s', retries: 10, start_period: '1m' } })));
  assert.equal(cmd.readinessProbe, { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 0.5, timeoutSeconds: 2, failureThreshold: 10, initialDelaySeconds: 60 });
});

test('a healthcheck that is NONE or disabled sets no probe, quietly', () => {
  for (const healthcheck of [{ test: ['NONE'] }, { disable: true }, { disable: true, test: 'true' }]) {
    const t = translate(web({ healthcheck }));
    assert.equal(t.diagnostics, [], JSON.stringify(healthcheck));
    assert.is(webSpec(t).readinessProbe, undefined);
  }
});

test('start_interval is a warning; a healthcheck without test is a warning and no probe', () => {
  const t = translate(web({ healthcheck: { test: 'true', start_interval: '5s' } }));
  assert.match(diagnosticAt(t, 'warning', ['services', 'web', 'healthcheck', 'start_interval']).message, /start_interval is dropped/);
  assert.ok(webSpec(t).readinessProbe);
  const inherited = translate(web({ healthcheck: { interval: '10s' } }));
  assert.match(diagnosticAt(inherited, 'warning', ['services', 'web', 'healthcheck']).message, /give test/);
  assert.is(webSpec(inherited).readinessProbe, undefined);
});

test('healthcheck timings outside the probe bounds, bad durations and bad tests are errors at their paths', () => {
  const h = (healthcheck: Record<string, unknown>) => translate(web({ healthcheck: { test: 'true', ...healthcheck } }));
  diagnosticAt(h({ interval: '2h' }), 'error', ['services', 'web', 'healthcheck', 'interval']);
  diagnosticAt(h({ interval: '50ms' }), 'error', ['services', 'web', 'healthcheck', 'interval']);
  diagnosticAt(h({ timeout: '10' }), 'error', ['services', 'web', 'healthcheck', 'timeout']);
  diagnosticAt(h({ start_period: '61m' }), 'error', ['services', 'web', 'healthcheck', 'start_period']);
  diagnosticAt(h({ retries: 101 }), 'error', ['services', 'web', 'healthcheck', 'retries']);
  diagnosticAt(h({ retries: 1.5 }), 'error', ['services', 'web', 'healthcheck', 'retries']);
  diagnosticAt(h({ test: ['CURL', 'x'] }), 'error', ['services', 'web', 'healthcheck', 'test']);
  diagnosticAt(h({ test: ['CMD'] }), 'error', ['services', 'web', 'healthcheck', 'test']);
  diagnosticAt(h({ test: '' }), 'error', ['services', 'web', 'healthcheck', 'test']);
  diagnosticAt(h({ test: [] }), 'error', ['services', 'web', 'healthcheck', 'test']);
  diagnosticAt(h({ disable: 'yes' }), 'error', ['services', 'web', 'healthcheck', 'disable']);
  diagnosticAt(translate(web({ healthcheck: 'curl' })), 'error', ['services', 'web', 'healthcheck']);
  // 0 means Docker's default, not a zero interval.
  const zero = h({ interval: '0s', timeout: 0, retries: 0 });
  noErrors(zero);
  assert.equal(webSpec(zero).readinessProbe, { exec: { command: ['sh', '-c', 'true'] }, periodSeconds: 30, timeoutSeconds: 30, failureThreshold: 3, initialDelaySeconds: 0 });
  assert.equal(warnings(zero), []);
});

test.run();

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nestingDepth, parseJsonBytes } from '../../../base/json-bytes.js';
import { MAX_FRAME_BYTES, MAX_NESTING_DEPTH } from '../../../base/limits.js';
import { fuzz } from './mutate.js';

const utf8 = new TextEncoder();

fuzz(
  test,
  'parseJsonBytes',
  { decode: (bytes) => parseJsonBytes(bytes), encode: (value) => utf8.encode(JSON.stringify(value)), codes: ['oversized', 'malformed', 'too-deep'] },
  fc.jsonValue({ maxDepth: 3 }),
);

const code = (text: string | Uint8Array): string => {
  const r = parseJsonBytes(typeof text === 'string' ? utf8.encode(text) : text);
  return r.ok ? 'ok' : r.error.code;
};

test('nesting up to the limit parses; one level more is refused before the parse', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  assert.is(code(nested(MAX_NESTING_DEPTH)), 'ok');
  assert.is(code(nested(MAX_NESTING_DEPTH + 1)), 'too-deep');
  assert.is(code(`${'{"a":'.repeat(MAX_NESTING_DEPTH + 1)}1${'}'.repeat(MAX_NESTING_DEPTH + 1)}`), 'too-deep');
});

test('a frame of nothing but open brackets is refused at once', () => {
  const started = performance.now();
  assert.is(code('['.repeat(MAX_FRAME_BYTES)), 'too-deep');
  assert.ok(performance.now() - started < 100);
});

test('brackets inside strings, escaped quotes included, do not count as nesting', () => {
  assert.is(nestingDepth(utf8.encode(JSON.stringify({ a: '[[[[{{{{', b: 'say \\"[[[\\" and "[["' }))), 1);
  assert.is(nestingDepth(utf8.encode(JSON.stringify(['\\', [['\\"']]]))), 3);
  assert.is(code(JSON.stringify(['['.repeat(1000)])), 'ok');
});

test('size, UTF-8 and JSON are each refused with their code', () => {
  assert.is(code(new Uint8Array(MAX_FRAME_BYTES + 1)), 'oversized');
  assert.is(code(Uint8Array.of(0x22, 0xff, 0x22)), 'malformed');
  assert.is(code('{"a":'), 'malformed');
  assert.is(code(''), 'malformed');
  assert.is(code('{"__proto__":{"polluted":1}}'), 'ok');
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

test.run();

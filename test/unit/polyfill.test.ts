import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('Promise.withResolvers is installed before any test code runs (Node 20 lacks it)', async () => {
  assert.type((Promise as unknown as { withResolvers: unknown }).withResolvers, 'function');
  const { promise, resolve } = (Promise as unknown as { withResolvers: <T>() => { promise: Promise<T>; resolve: (v: T) => void } }).withResolvers<number>();
  resolve(42);
  assert.is(await promise, 42);
});

test('the shipped entry point loads the polyfill first', async () => {
  const { readFileSync } = await import('node:fs');
  const entry = readFileSync(new URL('../../bin/shoal.js', import.meta.url), 'utf8');
  const firstImport = entry.split('\n').find((line) => line.startsWith('import'));
  assert.is(firstImport, "import '../dist/node/polyfill.js';");
});

test.run();

import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { printable } from '../../../cli/printable.js';

test('escape sequences, other control characters and bidirectional overrides are shown, not obeyed; tabs, newlines and other text pass', () => {
  assert.is(printable('set clipboard: \u001b]52;c;aGk=\u0007 done'), 'set clipboard: \\x1b]52;c;aGk=\\x07 done');
  assert.is(printable('over\rwrite \u009b2J'), 'over\\x0dwrite \\x9b2J');
  assert.is(printable('admin\u202eresu'), 'admin\\u202eresu');
  assert.is(printable('a\tb\nc ünï ✓'), 'a\tb\nc ünï ✓');
});

test("the CLI's console prints what a cluster sends as text: an event carrying a probe's escape sequence", () => {
  const script = `import { printOnlyPrintable } from ${JSON.stringify(new URL('../../../cli/printable.ts', import.meta.url).href)};
printOnlyPrintable();
console.log('liveness failed: \\u001b[2J\\u001b]0;pwned\\u0007', 'x');
console.error('shoal: \\u001b[31mred');`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout, 'liveness failed: \\x1b[2J\\x1b]0;pwned\\x07 x\n');
  assert.is(run.stderr, 'shoal: \\x1b[31mred\n');
});

test.run();

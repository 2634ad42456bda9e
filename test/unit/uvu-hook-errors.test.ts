import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

// uvu itself drops an error thrown in a `before` hook; under scripts/run-tests.mjs's preload
// (test/uvu-hook-errors/) it is printed. A failing suite is run in a child uvu, outside test/.
test('an error thrown in a before hook is printed, and the suite counts as failed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-hook-errors-'));
  try {
    writeFileSync(
      join(dir, 'hook.test.mjs'),
      `import { test } from 'uvu';
test.before(async () => { throw new Error('the database did not start'); });
test('needs the database', () => {});
test.run();
`,
    );
    const run = spawnSync(process.execPath, ['--import', './test/uvu-hook-errors/register.mjs', 'node_modules/uvu/bin.js', dir, 'hook.test.mjs'], { encoding: 'utf8' });
    assert.match(run.stderr, /test\.before failed \(registered at .*hook\.test\.mjs:2:6\)/);
    assert.match(run.stderr, /Error: the database did not start/);
    assert.match(run.stdout, /Passed:\s+0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

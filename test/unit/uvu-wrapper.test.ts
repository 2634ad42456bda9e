import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

// uvu itself drops an error thrown in a `before` hook, and a hung test says nothing; under
// scripts/run-tests.mjs's preload (test/uvu-wrapper/) the first is printed and the second
// names itself when stopped. Each suite runs in a child uvu, outside test/.
test('an error thrown in a before hook is printed, and the suite counts as failed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-uvu-wrapper-'));
  try {
    writeFileSync(
      join(dir, 'hook.test.mjs'),
      `import { test } from 'uvu';
test.before(async () => { throw new Error('the database did not start'); });
test('needs the database', () => {});
test.run();
`,
    );
    const run = spawnSync(process.execPath, ['--import', './test/uvu-wrapper/register.mjs', 'node_modules/uvu/bin.js', dir, 'hook.test.mjs'], { encoding: 'utf8' });
    assert.match(run.stderr, /test\.before failed \(registered at .*hook\.test\.mjs:2:6\)/);
    assert.match(run.stderr, /Error: the database did not start/);
    assert.match(run.stdout, /Passed:\s+0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a test stopped by the runner's deadline names itself and what the process waited on", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-uvu-wrapper-'));
  try {
    writeFileSync(
      join(dir, 'hang.test.mjs'),
      `import { test } from 'uvu';
test('finishes', () => {});
test('waits for a reply that never comes', () => new Promise(() => { setInterval(() => {}, 1000); console.log('waiting'); }));
test.run();
`,
    );
    const child = spawn(process.execPath, ['--import', './test/uvu-wrapper/register.mjs', 'node_modules/uvu/bin.js', dir, 'hang.test.mjs']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => d.toString().includes('waiting') && child.kill('SIGTERM'));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.is(code, 124);
    assert.match(stderr, /deadline while running test "waits for a reply that never comes"/);
    assert.match(stderr, /waited on: .*Timeout/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

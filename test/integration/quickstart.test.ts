import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../cli/contexts.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { packageRoot } from '../../node/package-root.js';

test('the README quick start brings up three nodes, applies a workload on one and sees its replicas run from another', () => {
  const config = join(mkdtempSync(join(tmpdir(), 'shoal-quickstart-')), 'config');
  const run = spawnSync(process.execPath, [join(packageRoot(), 'dist', 'testnet', 'local', 'quickstart.js'), '--once'], {
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, SHOAL_CONFIG: config },
  });
  assert.is(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /A 3-node Shoal cluster runs on loopback/);
  assert.is((run.stdout.match(/ alive /g) ?? []).length, 3 + 3, run.stdout);
  assert.match(run.stdout, 'workload/hello created');
  assert.match(run.stdout, /default\s+hello\s+shoal\/busybox:1\s+3/);
  assert.is((run.stdout.match(/default\/hello\s+\d\s+\S+\s+alive\s+running/g) ?? []).length, 3, run.stdout);
  const saved = loadConfig(config);
  assert.is(saved.current, 'quickstart', 'the CLI uses the quick start cluster by default');
  assert.is(saved.contexts.quickstart?.nodes.length, 3);
  assert.match(saved.contexts.quickstart?.key ?? '', /\.shoal-local\/operator\.key$/);
  rmSync(dirname(config), { recursive: true, force: true });
});

test.run();

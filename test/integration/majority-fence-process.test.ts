import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { majorityFenceScenario } from './majority-fence-scenario.js';

test("a killed node's majority replica is removed by its fence keeper before the slot runs elsewhere; a graceful stop removes it first (processes)", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-fence-process-'));
  try {
    await majorityFenceScenario('process', dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

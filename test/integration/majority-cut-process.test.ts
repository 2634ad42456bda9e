import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { majorityCutScenario } from './majority-cut-scenario.js';

test("a majority replica survives a step of its node's clock, and a cut-off node starts it no more once fenced (processes)", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-cut-process-'));
  try {
    await majorityCutScenario('process', dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

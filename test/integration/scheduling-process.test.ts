import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { schedulingScenario } from './scheduling-scenario.js';

test("three nodes running plain processes spread six replicas, move a killed node's, and adopt them back without duplicates", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-sched-process-'));
  try {
    await schedulingScenario('process', dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

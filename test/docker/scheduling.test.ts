import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { schedulingScenario } from '../integration/scheduling-scenario.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();

(docker === null ? test.skip : test)("three nodes on Docker spread six replicas, move a killed node's, and adopt them back without duplicates", async () => {
  if (docker !== null) await ensureBusyboxImage(docker);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-sched-docker-'));
  try {
    await schedulingScenario('docker', dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

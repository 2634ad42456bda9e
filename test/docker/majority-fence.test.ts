import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { majorityCutScenario } from '../integration/majority-cut-scenario.js';
import { majorityFenceScenario } from '../integration/majority-fence-scenario.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();

(docker === null ? test.skip : test)(
  "a killed node's majority container is removed by its fence keeper before the slot runs elsewhere; a graceful stop removes it first (Docker)",
  async () => {
    if (docker !== null) await ensureBusyboxImage(docker);
    const dir = mkdtempSync(join(tmpdir(), 'shoal-fence-docker-'));
    try {
      await majorityFenceScenario('docker', dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

(docker === null ? test.skip : test)("a majority container survives a step of its node's clock, and a cut-off node starts it no more once fenced (Docker)", async () => {
  if (docker !== null) await ensureBusyboxImage(docker);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-cut-docker-'));
  try {
    await majorityCutScenario('docker', dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

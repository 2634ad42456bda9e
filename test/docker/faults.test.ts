import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CI_FAULTS } from '../../testnet/docker/scenario/faults.js';
import { formatReport } from '../../testnet/docker/scenario/report.js';
import { runSuite } from '../../testnet/docker/scenario/suite.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();

(docker === null ? test.skip : test)(
  'five nodes through a partition, kill -9, pause, clock skew both ways, packet loss and a node at a tenth of a core: nothing acknowledged is lost, after each heal the nodes agree, each slot runs once and no node is over-committed, and where no node went down none was held dead',
  async () => {
    const startedMs = Date.now();
    const outDir = mkdtempSync(join(tmpdir(), 'shoal-faults-'));
    // runSuite removes the testnet in a finally, whatever the scenarios did.
    const { results, failure } = await runSuite(docker as NonNullable<typeof docker>, {
      nodes: 5,
      faults: CI_FAULTS,
      repeats: 1,
      seed: Number(process.env.SHOAL_FAULTS_SEED ?? 1),
      clients: 3,
      poolSize: 2,
      boundMs: 60_000,
      outDir,
      name: 'shoal-faults-ci',
      reuse: false,
      // Each line stamped with the seconds since the start: where the suite's time goes (setup against scenarios).
      log: (line) => console.log(`[${((Date.now() - startedMs) / 1000).toFixed(0)} s] ${line}`),
    });
    const elapsedS = (Date.now() - startedMs) / 1000;
    // Its budget in CI is 10 minutes (issue 6); it takes about 4 here. Printed, not asserted: no test fails on a timing.
    console.log(`fault suite: ${results.length} scenarios in ${elapsedS.toFixed(0)} s; results in ${outDir}`);
    assert.is(failure, null, `the suite stopped early: ${failure}`);
    assert.equal(
      results.map((r) => r.fault.name),
      CI_FAULTS.map((f) => f.name),
    );
    assert.equal(results.filter((r) => !r.passed).map(formatReport), [], `the clients' requests came from SHOAL_FAULTS_SEED=${process.env.SHOAL_FAULTS_SEED ?? 1}`);
    const twice = results
      .filter((r) => r.figures.majorityDuplicateWindowS > 0)
      .map((r) => `${r.fault.name}: a majority slot ran twice for ${r.figures.majorityDuplicateWindowS} s`);
    assert.equal(twice, [], `a majority slot never runs twice, whatever the fault; the samples (duplicatedOn) are in ${outDir}`);
  },
);

test.run();

#!/usr/bin/env node
// `npm test`: every uvu tier in its own process (TypeScript through tsx, the Node 20
// polyfill loaded first), then one closing line: `N passed, N failed`.
// Usage: node scripts/run-tests.mjs [tier-or-file-pattern]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TIERS = ['unit', 'property', 'sim', 'integration', 'docker'];
const filter = process.argv[2];
// Tests that run `shoal init` without --key must not write the user's ~/.shoal/operator.key.
const operatorKey = join(mkdtempSync(join(tmpdir(), 'shoal-test-key-')), 'operator.key');

const testFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );

// uvu prints colour codes even without a terminal; strip them before reading its summary.
const plain = (text) => text.replace(/\u001b\[[0-9;]*m/g, '');

function runTier(tier) {
  return new Promise((resolve) => {
    const tierFilter = filter !== undefined && !TIERS.includes(filter) ? filter : '\\.test\\.ts$';
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', './node/polyfill.ts', 'node_modules/uvu/bin.js', join('test', tier), tierFilter],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SHOAL_OPERATOR_KEY: process.env.SHOAL_OPERATOR_KEY ?? operatorKey } },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.on('close', (code) => {
      const text = plain(output);
      const number = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN);
      const total = number('Total');
      const passed = number('Passed');
      const skipped = number('Skipped');
      if (Number.isNaN(total) || Number.isNaN(passed)) {
        resolve({ passed: 0, failed: code === 0 ? 0 : 1, skipped: 0 });
        return;
      }
      const failed = Math.max(total - passed - (skipped || 0), code === 0 ? 0 : 1);
      resolve({ passed, failed, skipped: skipped || 0 });
    });
  });
}

const tiers = TIERS.filter((t) => existsSync(join('test', t)) && testFiles(join('test', t)).length > 0)
  .filter((t) => filter === undefined || !TIERS.includes(filter) || t === filter);
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const tier of tiers) {
  console.log(`\n== ${tier} ==`);
  const result = await runTier(tier);
  totals.passed += result.passed;
  totals.failed += result.failed;
  totals.skipped += result.skipped;
}
console.log(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped > 0 ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed > 0 ? 1 : 0);

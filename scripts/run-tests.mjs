#!/usr/bin/env node
// `npm test`: every uvu tier in its own process (TypeScript through tsx, the Node 20
// polyfill loaded first), then one closing line: `N passed, N failed`.
// Usage: node scripts/run-tests.mjs [tier | file-name pattern]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const TIERS = ['unit', 'property', 'sim', 'integration', 'docker'];
const filter = process.argv[2];
const tierOnly = filter !== undefined && TIERS.includes(filter);
// Matched case-insensitively against `test/<tier>/...`, as uvu matches its own pattern.
const filePattern = filter !== undefined && !tierOnly ? new RegExp(filter, 'i') : undefined;

const testFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );

// uvu takes a single pattern and loads every file it matches, helpers too; naming the
// chosen files exactly keeps it to them.
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const onlyThese = (dir, files) => `^(?:${files.map((f) => escape(relative(dir, f))).join('|')})$`;

// uvu colours its output even without a terminal; strip that before reading its summary.
const plain = (text) => text.replace(/\u001b\[[0-9;]*m/g, '');

// Tests that run `shoal init` without --key must not write the user's ~/.shoal/operator.key.
const keyDir = mkdtempSync(join(tmpdir(), 'shoal-test-key-'));
const env = { ...process.env, SHOAL_OPERATOR_KEY: process.env.SHOAL_OPERATOR_KEY ?? join(keyDir, 'operator.key') };

function runTier(dir, files) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      // uvu drops an error thrown in a `before` hook; the wrapper makes every hook print its own.
      ['--import', 'tsx', '--import', './node/polyfill.ts', '--import', './test/uvu-hook-errors/register.mjs', 'node_modules/uvu/bin.js', dir, onlyThese(dir, files)],
      { stdio: ['ignore', 'pipe', 'inherit'], env },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.on('close', (code) => {
      const text = plain(output);
      const count = (label) => Number(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
      const total = count('Total');
      const passed = count('Passed');
      const skipped = count('Skipped');
      if ([total, passed, skipped].some(Number.isNaN)) {
        resolve({ passed: 0, failed: code === 0 ? 0 : 1, skipped: 0 });
        return;
      }
      // uvu's Total counts the tests that ran; skipped ones are outside it.
      resolve({ passed, failed: Math.max(total - passed, code === 0 ? 0 : 1), skipped });
    });
  });
}

const selected = TIERS.filter((tier) => !tierOnly || tier === filter)
  .map((tier) => {
    const dir = join('test', tier);
    const files = existsSync(dir) ? testFiles(dir).filter((f) => filePattern === undefined || filePattern.test(f)) : [];
    return { tier, dir, files };
  })
  .filter(({ files }) => files.length > 0);
if (selected.length === 0) {
  rmSync(keyDir, { recursive: true, force: true });
  console.error(`no test file matches ${filter ?? '*.test.ts'}`);
  process.exit(1);
}

const totals = { passed: 0, failed: 0, skipped: 0 };
for (const { tier, dir, files } of selected) {
  console.log(`\n== ${tier} ==`);
  const result = await runTier(dir, files);
  totals.passed += result.passed;
  totals.failed += result.failed;
  totals.skipped += result.skipped;
}
rmSync(keyDir, { recursive: true, force: true });
console.log(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped > 0 ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed > 0 ? 1 : 0);

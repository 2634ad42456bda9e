#!/usr/bin/env node
// `npm test`: the pure tiers (unit, property, sim) each in one process, and every file
// of the tiers that start processes, hosts and containers (integration, docker) in a
// process of its own, all with uvu (TypeScript through tsx, the Node 20 polyfill loaded
// first); then one closing line: `N passed, N failed`.
// Each process has a deadline: one that hangs is stopped, names the test it was in
// (test/uvu-wrapper/), counts as failed, and the run goes on.
// Usage: node scripts/run-tests.mjs [tier | file-name pattern]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const TIERS = ['unit', 'property', 'sim', 'integration', 'docker'];
const FILE_PER_PROCESS = new Set(['integration', 'docker']);
// Far above any process's time on a loaded 2-core machine (the longest, a tier of pure
// tests or one Docker file, takes 1-3 min idle): only a hang reaches it.
const DEADLINE_MS = Number(process.env.SHOAL_TEST_DEADLINE_MS ?? 20 * 60_000);
// After SIGTERM (which the wrapper answers with a report), what a process gets before SIGKILL.
const KILL_GRACE_MS = 10_000;
const filter = process.argv[2];
const tierOnly = filter !== undefined && TIERS.includes(filter);
// Matched case-insensitively against `test/<tier>/...`, as uvu matches its own pattern.
const filePattern = filter !== undefined && !tierOnly ? new RegExp(filter, 'i') : undefined;

const testFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []));

// uvu takes a single pattern and loads every file it matches, helpers too; naming the
// chosen files exactly keeps it to them.
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const onlyThese = (dir, files) => `^(?:${files.map((f) => escapeRegExp(relative(dir, f))).join('|')})$`;

// uvu colours its output even without a terminal; strip that before reading its summary.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are what it takes out.
const plain = (text) => text.replace(/\u001b\[[0-9;]*m/g, '');

// Tests that run `shoal init` without --key must not write the user's ~/.shoal/operator.key.
const keyDir = mkdtempSync(join(tmpdir(), 'shoal-test-key-'));
const env = { ...process.env, SHOAL_OPERATOR_KEY: process.env.SHOAL_OPERATOR_KEY ?? join(keyDir, 'operator.key') };

/** Runs uvu on the given files of one tier in one process; resolves to its counts. */
function runUvu(dir, files) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      // uvu drops an error thrown in a `before` hook; the wrapper makes every hook print its own.
      ['--import', 'tsx', '--import', './node/polyfill.ts', '--import', './test/uvu-wrapper/register.mjs', 'node_modules/uvu/bin.js', dir, onlyThese(dir, files)],
      // Its own process group, so a deadline also ends the nodes and daemons it started.
      { stdio: ['ignore', 'pipe', 'inherit'], env, detached: true },
    );
    const signalGroup = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group has already gone.
      }
    };
    // A detached group no longer gets the terminal's Ctrl-C: pass it on, then stop.
    const interrupted = (signal) => {
      signalGroup('SIGKILL');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    let killer;
    const deadline = setTimeout(() => {
      console.error(`\n${files.map((f) => relative(dir, f)).join(', ')}: no result within ${DEADLINE_MS / 60_000} min, stopping it`);
      signalGroup('SIGTERM');
      killer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
    }, DEADLINE_MS);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.on('close', (code) => {
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      clearTimeout(deadline);
      clearTimeout(killer);
      // Whatever the tests started and left behind in the group (the process is gone).
      signalGroup('SIGKILL');
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
// Each tier's time, printed at the end: the suite has a budget (15 minutes on two idle cores).
const took = [];
for (const { tier, dir, files } of selected) {
  console.log(`\n== ${tier} ==`);
  const startedAt = Date.now();
  for (const batch of FILE_PER_PROCESS.has(tier) ? files.map((f) => [f]) : [files]) {
    const result = await runUvu(dir, batch);
    totals.passed += result.passed;
    totals.failed += result.failed;
    totals.skipped += result.skipped;
  }
  took.push(`${tier} ${Math.round((Date.now() - startedAt) / 1000)} s`);
}
console.log(`\ntime by tier: ${took.join(', ')}`);
rmSync(keyDir, { recursive: true, force: true });
console.log(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped > 0 ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed > 0 ? 1 : 0);

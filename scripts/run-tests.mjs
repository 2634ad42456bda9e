#!/usr/bin/env node
// `npm test`: the pure tiers (unit, property, sim) each in one process, and every file
// of the tiers that start processes, hosts and containers (integration, docker) in a
// process of its own, all with uvu (TypeScript through tsx, the Node 20 polyfill loaded
// first); then one closing line: `N passed, N failed`.
// Processes run in lanes, two at a time on two cores (SHOAL_TEST_LANES): most of the
// integration and Docker files wait on timers and peers, not on the CPU. A few make the
// machine busy on purpose or time what they make, and run with nothing beside them.
// Each process's output is printed whole when it ends, so lanes never interleave.
// Each process has a deadline: one that hangs is stopped, names the test it was in
// (test/uvu-wrapper/), counts as failed, and the run goes on. A container or network a
// test left on the host's Docker engine fails the run too (scripts/host-leftovers.mjs).
// Usage: node scripts/run-tests.mjs [tier | file-name pattern]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { hostLeftovers } from './host-leftovers.mjs';

const TIERS = ['unit', 'property', 'sim', 'integration', 'docker'];
const FILE_PER_PROCESS = new Set(['integration', 'docker']);
// CPU hogs and quotas of their own (starvation): nothing else runs beside it, or its
// figures would be another test's load. The autoscale test's burners run at nice 10 and
// its thresholds are far from the other lane's noise (autoscale-scenario.ts): it runs in
// a lane, 30-40 s of one lane idle saved.
const ALONE = new Set(['integration/starvation.test.ts']);
// The longest process by far (a five-node Docker testnet through six faults, 5-9 minutes):
// started first, so the other lane works through the short files beside it
// rather than the run ending on it alone.
const FIRST = new Set(['docker/faults.test.ts']);
const LANES = Math.max(1, Number(process.env.SHOAL_TEST_LANES ?? Math.min(2, availableParallelism())));
// Far above any process's time on a loaded 2-core machine (the longest, a tier of pure
// tests or one Docker file, takes 1-5 min idle): only a hang reaches it.
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

// Every running process group, so a Ctrl-C (which a detached group no longer gets) ends them all.
const groups = new Set();
const signalGroup = (pid, signal) => {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group has already gone.
  }
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const pid of groups) signalGroup(pid, 'SIGKILL');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

/** Runs uvu on the given files of one tier in one process; resolves to its counts and output. */
function runUvu(dir, files) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      // uvu drops an error thrown in a `before` hook; the wrapper makes every hook print its own.
      ['--import', 'tsx', '--import', './node/polyfill.ts', '--import', './test/uvu-wrapper/register.mjs', 'node_modules/uvu/bin.js', dir, onlyThese(dir, files)],
      // Its own process group, so a deadline also ends the nodes and daemons it started.
      { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true },
    );
    groups.add(child.pid);
    let killer;
    let output = '';
    const deadline = setTimeout(() => {
      output += `\n${files.map((f) => relative(dir, f)).join(', ')}: no result within ${DEADLINE_MS / 60_000} min, stopping it\n`;
      signalGroup(child.pid, 'SIGTERM');
      killer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    }, DEADLINE_MS);
    child.stdout.on('data', (chunk) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk) => {
      output += chunk.toString();
    });
    child.on('close', (code) => {
      clearTimeout(deadline);
      clearTimeout(killer);
      // Whatever the tests started and left behind in the group (the process is gone).
      signalGroup(child.pid, 'SIGKILL');
      groups.delete(child.pid);
      const text = plain(output);
      const count = (label) => Number(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
      const total = count('Total');
      const passed = count('Passed');
      const skipped = count('Skipped');
      if ([total, passed, skipped].some(Number.isNaN)) {
        resolve({ output, passed: 0, failed: code === 0 ? 0 : 1, skipped: 0 });
        return;
      }
      // uvu's Total counts the tests that ran; skipped ones are outside it.
      resolve({ output, passed, failed: Math.max(total - passed, code === 0 ? 0 : 1), skipped });
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

// The processes to run: those that must be alone first, then the longest, then the Docker and integration
// files interleaved (each tier's longest tend to come in runs), the short pure tiers last
// to fill the lanes' ends.
const jobs = selected.flatMap(({ tier, dir, files }) =>
  (FILE_PER_PROCESS.has(tier) ? files.map((f) => [f]) : [files]).map((batch, i) => {
    // A file's own process is named by its path under test/, a pure tier's by the tier: no tier is in ALONE or FIRST.
    const name = FILE_PER_PROCESS.has(tier) ? relative('test', batch[0]) : tier;
    return { tier, dir, files: batch, name, alone: ALONE.has(name), order: FIRST.has(name) ? -1 : FILE_PER_PROCESS.has(tier) ? i : Number.POSITIVE_INFINITY };
  }),
);
const queue = [...jobs.filter((j) => j.alone), ...jobs.filter((j) => !j.alone).sort((a, b) => a.order - b.order)];

const totals = { passed: 0, failed: 0, skipped: 0 };
// Failed processes, repeated at the end: CI keeps only the tail of a long run's output.
const failures = [];
const EXCERPT_CHARS = 4000;
// uvu prints each failure from a `FAIL` line on; a process that hung or crashed has none,
// and its last lines say why.
const failureExcerpt = (text) => {
  const at = text.search(/^\s*FAIL\s/m);
  return at >= 0 ? text.slice(at, at + EXCERPT_CHARS) : text.slice(-EXCERPT_CHARS);
};
// Each tier's process time, and the whole run's: the suite has a budget (15 minutes on two idle cores).
const took = new Map();
const startedAt = Date.now();
// When each process ran: what a leftover was made during names its suspects.
const spans = [];
const leftBefore = new Set(hostLeftovers().map((l) => l.what));
let running = 0;
let wake = () => {};
const finished = () => new Promise((resolve) => (wake = resolve));

async function run(job) {
  running++;
  const jobStartedAt = Date.now();
  const result = await runUvu(job.dir, job.files);
  const seconds = (Date.now() - jobStartedAt) / 1000;
  took.set(job.tier, (took.get(job.tier) ?? 0) + seconds);
  spans.push({ name: job.name, from: jobStartedAt, to: Date.now() });
  console.log(`\n== ${job.name} (${Math.round(seconds)} s) ==`);
  process.stdout.write(result.output);
  totals.passed += result.passed;
  totals.failed += result.failed;
  totals.skipped += result.skipped;
  if (result.failed > 0) failures.push({ name: job.name, text: failureExcerpt(plain(result.output)) });
  running--;
  wake();
}

for (const job of queue) {
  // One that must be alone waits for the lanes to empty, and holds them until it ends.
  while (running >= (job.alone ? 1 : LANES)) await finished();
  const started = run(job);
  if (job.alone) await started;
}
while (running > 0) await finished();

const leftovers = hostLeftovers().filter((l) => !leftBefore.has(l.what));
if (leftovers.length > 0) {
  // Docker's times are whole seconds for containers: a second's slack either side.
  const suspects = (atMs) => spans.filter((s) => s.from - 1_000 <= atMs && atMs <= s.to + 1_000).map((s) => s.name);
  const lines = leftovers.map((l) => `${l.what}, made while these ran: ${suspects(l.createdAtMs).join(', ') || 'none of them'}`);
  totals.failed += 1;
  failures.push({ name: "left on the host's Docker engine", text: lines.join('\n') });
}

const tierTimes = [...took].map(([tier, s]) => `${tier} ${Math.round(s)} s`).join(', ');
console.log(`\ntime by tier (process time, ${LANES} lane${LANES === 1 ? '' : 's'}): ${tierTimes}; whole run ${Math.round((Date.now() - startedAt) / 1000)} s`);
rmSync(keyDir, { recursive: true, force: true });
for (const { name, text } of failures) console.log(`\n== failed: ${name} ==\n${text.trimEnd()}`);
console.log(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped > 0 ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed > 0 ? 1 : 0);

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckName } from './checker.js';
import type { ScenarioResult } from './runner.js';

const SHOWN_VIOLATIONS = 5;
const SHOWN_WINDOWS = 8;

/** The whole result as JSON, one file per scenario; returns its path. */
export function writeResult(dir: string, index: number, result: ScenarioResult): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${String(index).padStart(2, '0')}-${result.fault.kind}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 1)}\n`);
  return path;
}

/** A short human report: the timeline from the clients' start, the figures, and each check. */
export function formatReport(result: ScenarioResult): string {
  const { phases, figures } = result;
  const at = (ms: number): string => `+${((ms - phases.clientsStartMs) / 1000).toFixed(1)} s`.padEnd(10);
  const converged =
    phases.convergedMs === null
      ? `${at(phases.healedMs + result.boundMs)}NOT converged within ${result.boundMs / 1000} s of the heal`
      : `${at(phases.convergedMs)}converged, ${figures.convergenceAfterHealS?.toFixed(1)} s after the heal`;
  const windows = figures.duplicateWindows.slice(0, SHOWN_WINDOWS).map((w) => `${w.slot.replace(/^Workload\/default\//, '')} ${at(w.fromMs).trim()}..${at(w.toMs).trim()}`);
  const more = figures.duplicateWindows.length - windows.length;
  const { writes } = figures;
  return [
    `== ${result.fault.name}: ${result.passed ? 'PASS' : 'FAIL'} (seed ${result.seed})`,
    `  ${at(phases.clientsStartMs)}clients start`,
    `  ${at(phases.faultStartMs)}fault injected on ${result.fault.nodes.join(', ')}`,
    `  ${at(phases.healedMs)}healed`,
    `  ${at(phases.clientsStopMs)}clients stopped`,
    `  ${converged}`,
    `  ${at(phases.snapshotMs)}snapshot`,
    `  duplicates: ${figures.duplicateWindowS.toFixed(1)} s with a slot running twice, ${figures.majorityDuplicateWindowS.toFixed(1)} s of them under the majority policy`,
    ...(windows.length === 0 ? [] : [`    ${windows.join(', ')}${more > 0 ? ` and ${more} more` : ''}`]),
    `  writes: ${writes.requested} requested, ${writes.acknowledged} acknowledged, ${writes.failed} failed, ${writes.lost} lost`,
    `  members held dead: ${figures.deathsHeld}; worst event-loop lag by node since it started: ${figures.worstLagMs.map((ms) => (ms === null ? '?' : `${ms} ms`)).join(', ')}`,
    `  checks: ${(Object.keys(result.checks) as CheckName[]).map((c) => `${c} ${(result.checks[c]?.length ?? 0) === 0 ? 'ok' : `${result.checks[c]?.length} violations`}`).join(' · ')}`,
    ...Object.values(result.checks).flatMap((violations) => violations.slice(0, SHOWN_VIOLATIONS).map((v) => `    ${v.check}: ${v.detail}`)),
  ].join('\n');
}

import { checkFields } from '../field-rules.js';
import type { Diagnostics, SourcePath } from '../translation.js';
import { parseDuration, roundSeconds } from './durations.js';
import { composeRules, describe, field, given, isMapping, scalarText, verdicts } from './values.js';

export interface ExecProbe {
  exec: { command: string[] };
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  initialDelaySeconds: number;
}

export interface TranslatedProbe {
  probe: ExecProbe;
  /** Where each probe field came from, by its dotted path below the probe. */
  origins: Record<string, SourcePath>;
}

const RULES = composeRules({
  handled: ['test', 'interval', 'timeout', 'retries', 'start_period', 'disable'],
  dropped: verdicts({ start_interval: 'start_interval is dropped: Shoal probes at interval from the start' }),
});

type Test = { kind: 'none' } | { kind: 'command'; command: string[] } | { kind: 'invalid' };

function testOf(value: unknown, path: SourcePath, diagnostics: Diagnostics): Test {
  const shell = (script: string): Test => {
    if (script.trim() !== '') return { kind: 'command', command: ['sh', '-c', script] };
    diagnostics.error(path, 'the healthcheck test is empty: give the command that checks the service');
    return { kind: 'invalid' };
  };
  if (typeof value === 'string') return shell(value);
  const words = Array.isArray(value) ? value.map(scalarText) : undefined;
  if (words === undefined || words.length === 0 || words.some((w) => w === undefined)) {
    diagnostics.error(path, `the healthcheck test is ${describe(value)}: expected a shell command, or a list starting with CMD, CMD-SHELL or NONE`);
    return { kind: 'invalid' };
  }
  const [head, ...rest] = words as string[];
  if (head === 'NONE') return { kind: 'none' };
  // Docker joins what follows CMD-SHELL into one script.
  if (head === 'CMD-SHELL') return shell(rest.join(' '));
  if (head === 'CMD' && rest.length > 0) return { kind: 'command', command: rest };
  diagnostics.error(path, 'a healthcheck test list starts with CMD (then the command and its arguments), CMD-SHELL (then a shell script) or NONE');
  return { kind: 'invalid' };
}

/** Seconds within the probe's bounds; Docker reads 0 as "the default". */
function seconds(value: unknown, path: SourcePath, fallback: number, min: number, diagnostics: Diagnostics): number | undefined {
  if (!given(value)) return fallback;
  const parsed = parseDuration(value);
  if (parsed === undefined) {
    diagnostics.error(path, `${describe(value)} is not a duration: write one such as 30s, 1m30s or 500ms`);
    return undefined;
  }
  if (parsed === 0 && min > 0) return fallback;
  if (parsed < min || parsed > 3600) {
    diagnostics.error(path, `${describe(value)} is outside what a Shoal probe takes: from ${min === 0 ? '0s' : '100ms'} to 1h`);
    return undefined;
  }
  return roundSeconds(parsed);
}

/**
 * A healthcheck as a readiness probe: Compose defaults (every 30s, 30s timeout, 3
 * retries, no start period); undefined when there is none, or it is disabled or broken.
 */
export function readinessProbeOf(value: unknown, path: SourcePath, diagnostics: Diagnostics): TranslatedProbe | undefined {
  if (!isMapping(value)) {
    diagnostics.error(path, 'healthcheck is a mapping, with test and its timings');
    return undefined;
  }
  checkFields(diagnostics, value, path, RULES);
  const disable = field(value, 'disable');
  if (given(disable) && typeof disable !== 'boolean') diagnostics.error([...path, 'disable'], 'disable is true or false');
  if (disable === true) return undefined;
  const testValue = field(value, 'test');
  if (!given(testValue)) {
    diagnostics.warning(path, 'a healthcheck without test keeps the image HEALTHCHECK in Compose; Shoal does not run image health checks, so no readiness probe is set: give test');
    return undefined;
  }
  const test = testOf(testValue, [...path, 'test'], diagnostics);
  const periodSeconds = seconds(field(value, 'interval'), [...path, 'interval'], 30, 0.1, diagnostics);
  const timeoutSeconds = seconds(field(value, 'timeout'), [...path, 'timeout'], 30, 0.1, diagnostics);
  const initialDelaySeconds = seconds(field(value, 'start_period'), [...path, 'start_period'], 0, 0, diagnostics);
  const retriesValue = field(value, 'retries');
  const retries = !given(retriesValue) || retriesValue === 0 ? 3 : retriesValue;
  const failureThreshold = typeof retries === 'number' && Number.isInteger(retries) && retries >= 1 && retries <= 100 ? retries : undefined;
  if (failureThreshold === undefined) diagnostics.error([...path, 'retries'], `retries ${describe(retriesValue)}: a whole number from 1 to 100`);
  if (test.kind !== 'command' || periodSeconds === undefined || timeoutSeconds === undefined || initialDelaySeconds === undefined || failureThreshold === undefined) {
    return undefined;
  }
  const origins: Record<string, SourcePath> = { 'exec.command': [...path, 'test'] };
  for (const [probeField, key] of [
    ['periodSeconds', 'interval'],
    ['timeoutSeconds', 'timeout'],
    ['failureThreshold', 'retries'],
    ['initialDelaySeconds', 'start_period'],
  ] as const) {
    if (given(field(value, key))) origins[probeField] = [...path, key];
  }
  return { probe: { exec: { command: test.command }, periodSeconds, timeoutSeconds, failureThreshold, initialDelaySeconds }, origins };
}

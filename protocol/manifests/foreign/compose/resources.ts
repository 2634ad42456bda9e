import { checkFields, type FieldRules } from '../field-rules.js';
import type { Diagnostics, SourcePath } from '../translation.js';
import { cpuMillis } from '../../quantity.js';
import { memoryQuantity, parseByteSize } from './byte-sizes.js';
import type { SpecDraft } from './draft.js';
import { composeRules, describe, field, given, isMapping, type Mapping, unlessEmpty, verdicts } from './values.js';

/** Compose cpus ("0.5", 1.5) as millicores; undefined (and an error) when Shoal cannot take it. */
function cpus(value: unknown, path: SourcePath, diagnostics: Diagnostics): number | undefined {
  const text = typeof value === 'number' || typeof value === 'string' ? String(value).trim() : '';
  const millis = /^\d+(?:\.\d+)?$/.test(text) ? cpuMillis(text) : undefined;
  if (millis === undefined || millis <= 0) {
    diagnostics.error(path, `cpus ${describe(value)}: expected a number of CPUs above 0, to a thousandth, such as 0.5`);
    return undefined;
  }
  return millis;
}

/** A Docker size as bytes; undefined (and an error) when Shoal cannot take it. */
function memory(value: unknown, path: SourcePath, diagnostics: Diagnostics): number | undefined {
  const bytes = parseByteSize(value);
  if (bytes === undefined || bytes <= 0) {
    diagnostics.error(path, `memory ${describe(value)}: expected a size above 0, such as 512m or 1g`);
    return undefined;
  }
  return bytes;
}

type Amounts = { cpu?: { millis: number; path: SourcePath }; memory?: { bytes: number; path: SourcePath } };

const LIMITS = composeRules({
  handled: ['cpus', 'memory'],
  refused: verdicts({ pids: unlessEmpty('Shoal sets no pids limit: remove pids') }),
});
const DEVICES = unlessEmpty('Shoal does not schedule devices or generic resources: keep this service outside Shoal');
const RESERVATIONS = composeRules({ handled: ['cpus', 'memory'], refused: verdicts({ devices: DEVICES, generic_resources: DEVICES }) });
const RESOURCES = composeRules({ handled: ['limits', 'reservations'] });

function amounts(value: unknown, path: SourcePath, rules: FieldRules, diagnostics: Diagnostics): Amounts {
  if (!given(value)) return {};
  if (!isMapping(value)) {
    diagnostics.error(path, 'expected a mapping with cpus and memory');
    return {};
  }
  checkFields(diagnostics, value, path, rules);
  const out: Amounts = {};
  if (given(field(value, 'cpus'))) {
    const millis = cpus(field(value, 'cpus'), [...path, 'cpus'], diagnostics);
    if (millis !== undefined) out.cpu = { millis, path: [...path, 'cpus'] };
  }
  if (given(field(value, 'memory'))) {
    const bytes = memory(field(value, 'memory'), [...path, 'memory'], diagnostics);
    if (bytes !== undefined) out.memory = { bytes, path: [...path, 'memory'] };
  }
  return out;
}

/**
 * spec.resources from deploy.resources and the older service-level cpus and mem_limit.
 * Shoal reserves what it limits, so one amount each: the limit, else the reservation.
 */
export function applyResources(service: Mapping, deploy: Mapping | undefined, path: SourcePath, draft: SpecDraft, diagnostics: Diagnostics): void {
  const resourcesPath = [...path, 'deploy', 'resources'];
  const resources = deploy === undefined ? undefined : field(deploy, 'resources');
  let limits: Amounts = {};
  let reservations: Amounts = {};
  if (given(resources)) {
    if (isMapping(resources)) {
      checkFields(diagnostics, resources, resourcesPath, RESOURCES);
      limits = amounts(field(resources, 'limits'), [...resourcesPath, 'limits'], LIMITS, diagnostics);
      reservations = amounts(field(resources, 'reservations'), [...resourcesPath, 'reservations'], RESERVATIONS, diagnostics);
    } else diagnostics.error(resourcesPath, 'resources is a mapping with limits and reservations');
  }
  const legacy: Amounts = {};
  if (given(field(service, 'cpus'))) {
    const millis = cpus(field(service, 'cpus'), [...path, 'cpus'], diagnostics);
    if (millis !== undefined) legacy.cpu = { millis, path: [...path, 'cpus'] };
  }
  if (given(field(service, 'mem_limit'))) {
    const bytes = memory(field(service, 'mem_limit'), [...path, 'mem_limit'], diagnostics);
    if (bytes !== undefined) legacy.memory = { bytes, path: [...path, 'mem_limit'] };
  }
  if (limits.cpu !== undefined && legacy.cpu !== undefined && limits.cpu.millis !== legacy.cpu.millis) {
    diagnostics.warning(legacy.cpu.path, 'cpus is dropped: deploy.resources.limits.cpus is used');
  }
  if (limits.memory !== undefined && legacy.memory !== undefined && limits.memory.bytes !== legacy.memory.bytes) {
    diagnostics.warning(legacy.memory.path, 'mem_limit is dropped: deploy.resources.limits.memory is used');
  }
  const cpuLimit = limits.cpu ?? legacy.cpu;
  const memoryLimit = limits.memory ?? legacy.memory;
  const SAME = 'Shoal reserves and limits the same amount: limits used';
  if (cpuLimit !== undefined && reservations.cpu !== undefined && cpuLimit.millis !== reservations.cpu.millis) diagnostics.warning(reservations.cpu.path, SAME);
  if (memoryLimit !== undefined && reservations.memory !== undefined && memoryLimit.bytes !== reservations.memory.bytes) diagnostics.warning(reservations.memory.path, SAME);
  const cpu = cpuLimit ?? reservations.cpu;
  const mem = memoryLimit ?? reservations.memory;
  if (cpu === undefined && mem === undefined) return;
  draft.set(
    'resources',
    { ...(cpu === undefined ? {} : { cpu: `${cpu.millis}m` }), ...(mem === undefined ? {} : { memory: memoryQuantity(mem.bytes) }) },
    given(resources) ? resourcesPath : path,
  );
  if (cpu !== undefined) draft.from('resources.cpu', cpu.path);
  if (mem !== undefined) draft.from('resources.memory', mem.path);
}

import { checkFields } from '../field-rules.js';
import type { Diagnostics, SourcePath } from '../translation.js';
import type { SpecDraft } from './draft.js';
import { applyPlacement } from './placement.js';
import { applyResources } from './resources.js';
import { applyRestart } from './restart.js';
import { composeRules, describe, field, given, isMapping, type Mapping, unlessEmpty, verdicts, wholeNumber } from './values.js';

const MAX_REPLICAS = 10_000;

const DEPLOY = composeRules({
  handled: ['mode', 'replicas', 'resources', 'restart_policy', 'placement', 'update_config'],
  dropped: verdicts({
    rollback_config: unlessEmpty('rollback_config is dropped: Shoal rolls a failed update back by applying the previous spec again'),
    labels: unlessEmpty('deploy.labels is dropped: Shoal has one set of labels per workload; put them under labels'),
    endpoint_mode: 'endpoint_mode is dropped: Shoal gives each service one address and spreads connections over its replicas',
  }),
});

const UPDATE_TUNING = 'is dropped: Shoal replaces replicas as soon as the new ones are ready, and stops a rollout that makes no progress';
const UPDATE_CONFIG = composeRules({
  handled: ['parallelism', 'order'],
  dropped: verdicts({
    delay: `delay ${UPDATE_TUNING}`,
    failure_action: `failure_action ${UPDATE_TUNING}`,
    monitor: `monitor ${UPDATE_TUNING}`,
    max_failure_ratio: `max_failure_ratio ${UPDATE_TUNING}`,
  }),
});

function replicaCount(value: unknown, path: SourcePath, diagnostics: Diagnostics): number | undefined {
  const n = wholeNumber(value, 0, MAX_REPLICAS);
  if (n === undefined) diagnostics.error(path, `${describe(value)}: the number of replicas is a whole number from 0 to ${MAX_REPLICAS}`);
  return n;
}

/** spec.rollout from update_config: stop-first takes N down before starting N, start-first starts N extra first. */
function applyUpdateConfig(value: unknown, path: SourcePath, replicas: number | undefined, global: boolean, draft: SpecDraft, diagnostics: Diagnostics): void {
  if (!isMapping(value)) {
    diagnostics.error(path, 'update_config is a mapping with parallelism and order');
    return;
  }
  checkFields(diagnostics, value, path, UPDATE_CONFIG);
  const parallelismValue = field(value, 'parallelism');
  const order = field(value, 'order');
  if (!given(parallelismValue) && !given(order)) return;
  let parallelism = 1;
  if (given(parallelismValue)) {
    const n = wholeNumber(parallelismValue, 0, Number.MAX_SAFE_INTEGER);
    if (n === undefined) {
      diagnostics.error([...path, 'parallelism'], 'parallelism is a whole number: how many replicas change at once, 0 for all');
      return;
    }
    // 0 is all at once: every replica, or (global: one per node, a count only the cluster knows) as many as Shoal allows.
    parallelism = Math.min(Math.max(n === 0 ? (global ? MAX_REPLICAS : (replicas ?? 1)) : n, 1), MAX_REPLICAS);
  }
  if (given(order) && order !== 'stop-first' && order !== 'start-first') {
    diagnostics.error([...path, 'order'], `order ${describe(order)}: expected stop-first or start-first`);
    return;
  }
  const rollout = order === 'start-first' ? { maxUnavailable: 0, maxSurge: parallelism } : { maxUnavailable: parallelism, maxSurge: 0 };
  draft.set('rollout', rollout, path);
  if (given(parallelismValue)) draft.from(`rollout.${order === 'start-first' ? 'maxSurge' : 'maxUnavailable'}`, [...path, 'parallelism']);
}

/** deploy, with the older service-level scale, cpus, mem_limit and restart that say the same things. */
export function applyDeploy(service: Mapping, path: SourcePath, draft: SpecDraft, diagnostics: Diagnostics): void {
  const deployPath = [...path, 'deploy'];
  const deployValue = field(service, 'deploy');
  let deploy: Mapping | undefined;
  if (isMapping(deployValue)) {
    deploy = deployValue;
    checkFields(diagnostics, deploy, deployPath, DEPLOY);
  } else if (given(deployValue)) diagnostics.error(deployPath, 'deploy is a mapping');
  const mode = deploy === undefined ? undefined : field(deploy, 'mode');
  if (given(mode)) {
    if (mode === 'replicated' || mode === 'global') draft.set('mode', mode, [...deployPath, 'mode']);
    else if (mode === 'replicated-job' || mode === 'global-job') diagnostics.error([...deployPath, 'mode'], `${mode}: Shoal runs jobs as Job manifests, not as Compose services`);
    else diagnostics.error([...deployPath, 'mode'], `mode ${describe(mode)}: expected replicated or global`);
  }
  const global = mode === 'global';
  const replicasValue = deploy === undefined ? undefined : field(deploy, 'replicas');
  const scale = field(service, 'scale');
  const replicasAt = given(replicasValue) ? [...deployPath, 'replicas'] : given(scale) ? [...path, 'scale'] : undefined;
  const replicas = replicasAt === undefined ? undefined : replicaCount(given(replicasValue) ? replicasValue : scale, replicasAt, diagnostics);
  if (given(replicasValue) && given(scale)) {
    const scaled = wholeNumber(scale, 0, MAX_REPLICAS);
    if (scaled !== replicas) diagnostics.warning([...path, 'scale'], 'scale is dropped: deploy.replicas is used');
  }
  if (replicas !== undefined && replicasAt !== undefined) {
    if (global) diagnostics.warning(replicasAt, 'replicas is ignored: a global service runs one replica on every node its placement allows');
    else draft.set('replicas', replicas, replicasAt);
  }
  applyResources(service, deploy, path, draft, diagnostics);
  applyRestart(service, deploy, path, draft, diagnostics);
  if (deploy === undefined) return;
  const placement = field(deploy, 'placement');
  if (given(placement)) applyPlacement(placement, [...deployPath, 'placement'], draft, diagnostics);
  const updateConfig = field(deploy, 'update_config');
  if (given(updateConfig)) applyUpdateConfig(updateConfig, [...deployPath, 'update_config'], replicas, global, draft, diagnostics);
}

import { checkFields } from '../field-rules.js';
import type { Diagnostics, SourcePath } from '../translation.js';
import type { SpecDraft } from './draft.js';
import { composeRules, describe, field, given, isMapping, type Mapping, verdicts } from './values.js';

export type RestartPolicy = 'always' | 'on-failure' | 'never';

function fromRestart(value: unknown, path: SourcePath, diagnostics: Diagnostics): RestartPolicy | undefined {
  // YAML 1.1 reads an unquoted `no` as false.
  if (value === 'no' || value === false) return 'never';
  if (value === 'always' || value === 'unless-stopped') return 'always';
  if (value === 'on-failure') return 'on-failure';
  const counted = typeof value === 'string' ? /^on-failure:(\d+)$/.exec(value) : null;
  if (counted !== null) {
    diagnostics.warning(path, `the retry count ${counted[1]} is dropped: Shoal restarts a failed replica with back-off, without a limit`);
    return 'on-failure';
  }
  diagnostics.error(path, `restart ${describe(value)}: expected "no", always, unless-stopped or on-failure`);
  return undefined;
}

const CONDITIONS: Record<string, RestartPolicy> = { none: 'never', 'on-failure': 'on-failure', any: 'always' };
const NO_TUNING = 'is dropped: Shoal restarts with its own back-off, as often as it takes';
const RESTART_POLICY = composeRules({
  handled: ['condition'],
  dropped: verdicts({ delay: `delay ${NO_TUNING}`, max_attempts: `max_attempts ${NO_TUNING}`, window: `window ${NO_TUNING}` }),
});

function fromRestartPolicy(value: unknown, path: SourcePath, diagnostics: Diagnostics): RestartPolicy | undefined {
  if (!isMapping(value)) {
    diagnostics.error(path, 'restart_policy is a mapping with condition');
    return undefined;
  }
  checkFields(diagnostics, value, path, RESTART_POLICY);
  const condition = field(value, 'condition');
  // Swarm's default condition is any.
  if (!given(condition)) return 'always';
  const policy = typeof condition === 'string' && Object.hasOwn(CONDITIONS, condition) ? CONDITIONS[condition] : undefined;
  if (policy === undefined) diagnostics.error([...path, 'condition'], `condition ${describe(condition)}: expected none, on-failure or any`);
  return policy;
}

/** spec.restartPolicy from restart and deploy.restart_policy, which wins, as in Compose; none given leaves Shoal's default, always. */
export function applyRestart(service: Mapping, deploy: Mapping | undefined, path: SourcePath, draft: SpecDraft, diagnostics: Diagnostics): void {
  const restart = field(service, 'restart');
  const fromService = given(restart) ? fromRestart(restart, [...path, 'restart'], diagnostics) : undefined;
  const policyValue = deploy === undefined ? undefined : field(deploy, 'restart_policy');
  const policyPath = [...path, 'deploy', 'restart_policy'];
  const fromDeploy = given(policyValue) ? fromRestartPolicy(policyValue, policyPath, diagnostics) : undefined;
  if (fromDeploy !== undefined) {
    if (fromService !== undefined && fromService !== fromDeploy) diagnostics.warning([...path, 'restart'], `restart is dropped: deploy.restart_policy is used (${fromDeploy})`);
    draft.set('restartPolicy', fromDeploy, given(field(policyValue as Mapping, 'condition')) ? [...policyPath, 'condition'] : policyPath);
  } else if (fromService !== undefined) draft.set('restartPolicy', fromService, [...path, 'restart']);
}

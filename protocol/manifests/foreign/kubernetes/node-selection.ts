import { checkFields, type Mapping } from '../field-rules.js';
import type { ManifestBuilder } from '../manifest-builder.js';
import type { SourcePath } from '../translation.js';
import type { KubeContext } from './context.js';
import { list, mapping, string, stringList, stringMap } from './values.js';

const HOSTNAME = 'kubernetes.io/hostname';
const CANNOT_EXPRESS = 'Shoal places by node labels (==, !=, in, exists), at most N per node and spread over one label: express it with those';

type Constraint = { key: string; operator: '==' | '!=' | 'in' | 'exists'; value?: string; values?: string[] };

/**
 * Where a pod may run, as Shoal's placement: nodeSelector and one required node
 * affinity term as label constraints; required anti-affinity to its own replicas per
 * hostname as at most one per node; a spread over one label as spreadBy. Whatever
 * else would need another scheduler is refused; preferences are dropped.
 */
export function translateScheduling(ctx: KubeContext, b: ManifestBuilder, pod: Mapping, path: SourcePath, ownLabels: Readonly<Record<string, string>>): void {
  const d = ctx.diagnostics;
  const constraints: Constraint[] = [];
  for (const [key, value] of Object.entries(stringMap(d, pod.nodeSelector, [...path, 'nodeSelector']) ?? {})) constraints.push({ key, operator: '==', value });
  const affinity = mapping(d, pod.affinity, [...path, 'affinity']);
  if (affinity !== undefined) {
    const at = [...path, 'affinity'];
    checkFields(d, affinity, at, {
      handled: ['nodeAffinity', 'podAntiAffinity'],
      refused: { podAffinity: `Shoal cannot place replicas next to other workloads: ${CANNOT_EXPRESS}` },
    });
    constraints.push(...nodeAffinity(ctx, affinity.nodeAffinity, [...at, 'nodeAffinity']));
    if (antiAffinityPerNode(ctx, affinity.podAntiAffinity, [...at, 'podAntiAffinity'], ownLabels)) b.set('spec.placement.maxPerNode', 1, [...at, 'podAntiAffinity']);
  }
  if (constraints.length > 0) b.set('spec.placement.constraints', constraints, [...path, pod.nodeSelector !== undefined ? 'nodeSelector' : 'affinity']);
  const spread = list(d, pod.topologySpreadConstraints, [...path, 'topologySpreadConstraints']);
  for (const [i, entry] of spread.entries()) {
    const at = [...path, 'topologySpreadConstraints', i];
    const c = mapping(d, entry, at);
    if (c === undefined) continue;
    checkFields(d, c, at, {
      handled: ['topologyKey', 'maxSkew', 'whenUnsatisfiable', 'labelSelector'],
      dropped: {
        minDomains: 'Shoal spreads over the label values it sees',
        nodeAffinityPolicy: 'Shoal spreads over the nodes that pass the constraints',
        nodeTaintsPolicy: 'Shoal has no taints',
        matchLabelKeys: 'Shoal spreads the replicas of this workload',
      },
    });
    const key = string(d, c.topologyKey, [...at, 'topologyKey']);
    if (i > 0) d.error(at, `Shoal spreads over one label: ${CANNOT_EXPRESS}`);
    else if (key === HOSTNAME) d.warning(at, 'Shoal spreads replicas over nodes by default');
    else if (key !== undefined) b.set('spec.placement.spreadBy', key, [...at, 'topologyKey']);
  }
}

function nodeAffinity(ctx: KubeContext, value: unknown, path: SourcePath): Constraint[] {
  const d = ctx.diagnostics;
  const affinity = mapping(d, value, path);
  if (affinity === undefined) return [];
  checkFields(d, affinity, path, {
    handled: ['requiredDuringSchedulingIgnoredDuringExecution'],
    dropped: { preferredDuringSchedulingIgnoredDuringExecution: 'Shoal has no node preferences, only constraints' },
  });
  const required = mapping(d, affinity.requiredDuringSchedulingIgnoredDuringExecution, [...path, 'requiredDuringSchedulingIgnoredDuringExecution']);
  if (required === undefined) return [];
  const at = [...path, 'requiredDuringSchedulingIgnoredDuringExecution'];
  checkFields(d, required, at, { handled: ['nodeSelectorTerms'] });
  const terms = list(d, required.nodeSelectorTerms, [...at, 'nodeSelectorTerms']);
  if (terms.length > 1) d.error([...at, 'nodeSelectorTerms', 1], `Shoal's constraints all hold at once; it has no "or" of terms: ${CANNOT_EXPRESS}`);
  const term = mapping(d, terms[0], [...at, 'nodeSelectorTerms', 0]);
  if (term === undefined) return [];
  const termAt = [...at, 'nodeSelectorTerms', 0];
  checkFields(d, term, termAt, { handled: ['matchExpressions'], refused: { matchFields: `Shoal selects nodes by label: ${CANNOT_EXPRESS}` } });
  const out: Constraint[] = [];
  for (const [i, entry] of list(d, term.matchExpressions, [...termAt, 'matchExpressions']).entries()) {
    const exprAt = [...termAt, 'matchExpressions', i];
    const expr = mapping(d, entry, exprAt);
    if (expr === undefined) continue;
    checkFields(d, expr, exprAt, { handled: ['key', 'operator', 'values'] });
    const key = string(d, expr.key, [...exprAt, 'key']);
    const values = stringList(d, expr.values, [...exprAt, 'values']) ?? [];
    if (key === undefined) continue;
    if (expr.operator === 'In') out.push({ key, operator: 'in', values });
    else if (expr.operator === 'Exists') out.push({ key, operator: 'exists' });
    else if (expr.operator === 'NotIn' && values.length === 1) out.push({ key, operator: '!=', value: values[0] as string });
    else d.error([...exprAt, 'operator'], `Shoal cannot express ${String(expr.operator)}${expr.operator === 'NotIn' ? ' with several values' : ''}: ${CANNOT_EXPRESS}`);
  }
  return out;
}

/** Required anti-affinity to the pod's own labels per hostname: at most one replica per node. */
function antiAffinityPerNode(ctx: KubeContext, value: unknown, path: SourcePath, ownLabels: Readonly<Record<string, string>>): boolean {
  const d = ctx.diagnostics;
  const anti = mapping(d, value, path);
  if (anti === undefined) return false;
  checkFields(d, anti, path, {
    handled: ['requiredDuringSchedulingIgnoredDuringExecution'],
    dropped: { preferredDuringSchedulingIgnoredDuringExecution: 'Shoal spreads the replicas of a workload over the nodes by default' },
  });
  const terms = list(d, anti.requiredDuringSchedulingIgnoredDuringExecution, [...path, 'requiredDuringSchedulingIgnoredDuringExecution']);
  let perNode = false;
  for (const [i, entry] of terms.entries()) {
    const at = [...path, 'requiredDuringSchedulingIgnoredDuringExecution', i];
    const term = mapping(d, entry, at);
    if (term === undefined) continue;
    const selector = mapping(d, term.labelSelector, [...at, 'labelSelector']);
    const matchLabels = stringMap(d, selector?.matchLabels, [...at, 'labelSelector', 'matchLabels']) ?? {};
    const own = selector !== undefined && selector.matchExpressions === undefined && Object.entries(matchLabels).every(([k, v]) => ownLabels[k] === v);
    if (string(d, term.topologyKey, [...at, 'topologyKey']) === HOSTNAME && own) perNode = true;
    else d.error(at, `Shoal keeps a workload's own replicas apart per node (topologyKey ${HOSTNAME}, selecting its own labels), nothing else: ${CANNOT_EXPRESS}`);
  }
  return perNode;
}

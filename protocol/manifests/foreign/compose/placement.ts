import { checkFields } from '../field-rules.js';
import type { Diagnostics, SourcePath } from '../translation.js';
import type { SpecDraft } from './draft.js';
import { composeRules, describe, field, given, isMapping, wholeNumber } from './values.js';

export interface Constraint {
  key: string;
  operator: '==' | '!=';
  value: string;
}

const NO_SUCH_ATTRIBUTE = 'Shoal has no such node attribute: label the nodes with `shoal start --label KEY=VALUE` and constrain on node.labels.KEY';
const CONSTRAINT = /^\s*([^=!\s]+)\s*(==|!=)\s*(.*?)\s*$/;

function constraintOf(value: unknown, path: SourcePath, diagnostics: Diagnostics): Constraint | undefined {
  const match = typeof value === 'string' ? CONSTRAINT.exec(value) : null;
  if (match === null) {
    diagnostics.error(path, `constraint ${describe(value)}: expected node.labels.KEY==VALUE or node.labels.KEY!=VALUE`);
    return undefined;
  }
  const [, attribute = '', operator, expected = ''] = match;
  if (attribute.startsWith('node.labels.') && attribute.length > 'node.labels.'.length) {
    return { key: attribute.slice('node.labels.'.length), operator: operator as Constraint['operator'], value: expected };
  }
  const known = ['node.role', 'node.hostname', 'node.id'].includes(attribute) || attribute.startsWith('node.platform.') || attribute.startsWith('engine.labels.');
  diagnostics.error(path, known ? `${attribute}: ${NO_SUCH_ATTRIBUTE}` : `${attribute} is no node attribute: constrain on node.labels.KEY`);
  return undefined;
}

const PLACEMENT = composeRules({ handled: ['constraints', 'preferences', 'max_replicas_per_node'] });
const PREFERENCE = composeRules({ handled: ['spread'] });

/** spec.placement from deploy.placement: label constraints, one spread label, a cap per node. */
export function applyPlacement(value: unknown, path: SourcePath, draft: SpecDraft, diagnostics: Diagnostics): void {
  if (!isMapping(value)) {
    diagnostics.error(path, 'placement is a mapping with constraints, preferences and max_replicas_per_node');
    return;
  }
  checkFields(diagnostics, value, path, PLACEMENT);
  const placement: Record<string, unknown> = {};
  const origins: [string, SourcePath][] = [];
  const constraints = field(value, 'constraints');
  if (given(constraints)) {
    if (Array.isArray(constraints)) {
      const parsed = constraints.flatMap((c, i) => {
        const constraint = constraintOf(c, [...path, 'constraints', i], diagnostics);
        return constraint === undefined ? [] : [{ constraint, path: [...path, 'constraints', i] }];
      });
      if (parsed.length > 0) {
        placement.constraints = parsed.map((p) => p.constraint);
        origins.push(['placement.constraints', [...path, 'constraints']], ...parsed.map((p, i): [string, SourcePath] => [`placement.constraints.${i}`, p.path]));
      }
    } else diagnostics.error([...path, 'constraints'], 'constraints is a list, such as ["node.labels.zone==a"]');
  }
  const preferences = field(value, 'preferences');
  if (given(preferences)) {
    if (Array.isArray(preferences)) {
      preferences.forEach((preference, i) => {
        const at = [...path, 'preferences', i];
        if (i > 0) {
          diagnostics.error(at, 'Shoal spreads by one label: keep one preference');
          return;
        }
        if (isMapping(preference)) checkFields(diagnostics, preference, at, PREFERENCE);
        const spread = isMapping(preference) ? field(preference, 'spread') : undefined;
        if (typeof spread === 'string' && spread.startsWith('node.labels.') && spread.length > 'node.labels.'.length) {
          placement.spreadBy = spread.slice('node.labels.'.length);
          origins.push(['placement.spreadBy', [...at, 'spread']]);
        } else diagnostics.error(at, `preference ${describe(spread ?? preference)}: Shoal spreads by a node label, as {spread: node.labels.KEY}`);
      });
    } else diagnostics.error([...path, 'preferences'], 'preferences is a list, such as [{spread: node.labels.zone}]');
  }
  const maxPerNode = field(value, 'max_replicas_per_node');
  if (given(maxPerNode)) {
    const n = wholeNumber(maxPerNode, 0, Number.MAX_SAFE_INTEGER);
    if (n === undefined) diagnostics.error([...path, 'max_replicas_per_node'], 'max_replicas_per_node is a whole number');
    // Swarm reads 0 as no cap, which is Shoal's default.
    else if (n > 0) {
      placement.maxPerNode = n;
      origins.push(['placement.maxPerNode', [...path, 'max_replicas_per_node']]);
    }
  }
  if (Object.keys(placement).length === 0) return;
  draft.set('placement', placement, path);
  for (const [dotted, source] of origins) draft.from(dotted, source);
}

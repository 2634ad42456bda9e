import type { Constraint } from '../candidate.js';
import type { Filter } from './index.js';

export function constraintHolds(constraint: Constraint, labels: Readonly<Record<string, string>>): boolean {
  const value = labels[constraint.key];
  switch (constraint.operator) {
    case 'exists':
      return value !== undefined;
    case '==':
      return value !== undefined && value === constraint.value;
    case '!=':
      return value !== constraint.value;
    case 'in':
      return value !== undefined && (constraint.values ?? []).includes(value);
  }
}

const describe = (c: Constraint): string =>
  c.operator === 'exists' ? `${c.key} exists` : c.operator === 'in' ? `${c.key} in (${(c.values ?? []).join(', ')})` : `${c.key} ${c.operator} ${c.value ?? ''}`;

export const constraintsHold: Filter = (demand, candidate) => {
  const broken = demand.constraints.find((c) => !constraintHolds(c, candidate.labels));
  return broken === undefined ? { ok: true } : { ok: false, reason: 'constraint', detail: `label constraint ${describe(broken)} does not hold` };
};

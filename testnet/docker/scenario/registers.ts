import { canonicalJson, compareStamp, type Json, type Stamp } from '../../../crdt/index.js';
import { acknowledged, mayHaveLanded, type ClientOp } from './history.js';

/** What one field of one object shows: a value, or nothing (never written, or deleted after). */
export type Outcome = { present: true; value: Json } | { present: false };

/**
 * One register of the document, `(workload, field)`, and what a node may show for it
 * once every acknowledged write has reached it.
 *
 * The document decides a register by the greatest stamp among the writes that touch it:
 * sets of that field, and deletes of the object (a field shows only when written after
 * the object's last tombstone). Stamps are recorded at signing, so the checker orders
 * writes exactly as the nodes do, skewed clocks included. If the last acknowledged of
 * those writes is `last`, a node that holds every acknowledged write shows `last`'s
 * outcome, or the outcome of a later-stamped write whose answer never came (it may or
 * may not have landed). Any other outcome means `last` is missing there: a lost write.
 * Earlier acknowledged writes to the register are superseded by `last` whatever happened
 * to them, so they cannot be judged from the document; the digest check covers them.
 */
export interface Register {
  workload: string;
  field: string;
  /** The last acknowledged write that decides the register; undefined where none was acknowledged. */
  last: ClientOp | undefined;
  allowed: Outcome[];
}

export const outcomeOf = (op: ClientOp, field: string): Outcome => (op.fields === null ? { present: false } : { present: true, value: op.fields[field] as Json });

export const sameOutcome = (a: Outcome, b: Outcome): boolean => a.present === b.present && (!a.present || canonicalJson(a.value) === canonicalJson((b as { value: Json }).value));

const stampOf = (op: ClientOp): Stamp => op.stamp as Stamp;
const byStamp = (a: ClientOp, b: ClientOp): number => compareStamp(stampOf(a), stampOf(b));

/** Every register the history wrote, with the outcomes a node may show. */
export function registers(ops: readonly ClientOp[]): Register[] {
  const landed = ops.filter(mayHaveLanded);
  const workloads = [...new Set(landed.map((op) => op.workload))].sort();
  return workloads.flatMap((workload) => {
    const touching = landed.filter((op) => op.workload === workload).sort(byStamp);
    return fieldsWritten(touching).map((field) =>
      register(
        workload,
        field,
        touching.filter((op) => op.fields === null || field in op.fields),
      ),
    );
  });
}

/** The fields any write of the history set on the object. */
export function fieldsWritten(ops: readonly ClientOp[]): string[] {
  return [...new Set(ops.flatMap((op) => Object.keys(op.fields ?? {})))].sort();
}

/** `deciders` are sorted by stamp. */
function register(workload: string, field: string, deciders: readonly ClientOp[]): Register {
  const last = deciders.filter(acknowledged).at(-1);
  const later = last === undefined ? deciders : deciders.filter((op) => byStamp(op, last) > 0);
  const allowed: Outcome[] = [last === undefined ? { present: false } : outcomeOf(last, field)];
  for (const op of later) {
    const outcome = outcomeOf(op, field);
    if (!allowed.some((a) => sameOutcome(a, outcome))) allowed.push(outcome);
  }
  return { workload, field, last, allowed };
}

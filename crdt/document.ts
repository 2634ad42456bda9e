import type { Delta, Op } from './delta.js';
import { stampOf } from './delta.js';
import { compareHlc, type Hlc } from './hlc.js';
import type { Json } from './json.js';
import { compareStamp, maxStamp, type Stamp } from './stamp.js';

interface Register {
  value: Json;
  stamp: Stamp;
}

interface ObjectState {
  fields: Map<string, Register>;
  tombstone: Stamp | undefined;
  /**
   * The visible value once read since the last change (null: no live field). Reads far
   * outnumber writes: the scheduler's view reads every workload, placement and status at
   * each plan, the agent and the API as often, and each read sorted and copied the fields.
   */
  shown?: Readonly<ObjectValue> | null;
}

/** A field set to null is absent: that is how an apply removes a field. */
export type ObjectValue = Record<string, Json>;

/**
 * The cluster document: objects keyed kind/namespace/name, each a map of
 * last-writer-wins registers ordered by stamp, and a tombstone per object. A field
 * counts only if it was written after the object's tombstone; an object exists while
 * any field does. Merging is per register and per tombstone, so it is commutative,
 * associative and idempotent whatever the order deltas arrive in.
 */
export class ClusterDocument {
  private readonly objects = new Map<string, ObjectState>();
  /**
   * Each kind's keys, live or not, and its live ones sorted once asked for since an object
   * of the kind last changed: a kind is listed without a walk over every object. Kinds
   * are those of the objects held, so a reader asking for others adds nothing.
   */
  private readonly kinds = new Map<string, { keys: Set<string>; live?: readonly string[] }>();

  /** Merges a delta's ops; returns the keys it changed. */
  apply(delta: Delta): string[] {
    const stamp = stampOf(delta);
    const changed: string[] = [];
    for (const op of delta.body.ops) if (this.applyOp(op, stamp) && !changed.includes(op.key)) changed.push(op.key);
    return changed;
  }

  /** Merges one op written at `stamp`; true when it changed a register or the tombstone. */
  applyOp(op: Op, stamp: Stamp): boolean {
    let state = this.objects.get(op.key);
    if (state === undefined) {
      state = { fields: new Map(), tombstone: undefined };
      this.objects.set(op.key, state);
      const kind = kindOf(op.key);
      if (kind !== undefined) {
        const entry = this.kinds.get(kind);
        if (entry === undefined) this.kinds.set(kind, { keys: new Set([op.key]) });
        else entry.keys.add(op.key);
      }
    }
    const changed = 'delete' in op ? bury(state, stamp) : write(state, op.set, stamp);
    if (changed) {
      state.shown = undefined;
      this.kindChanged(op.key);
    }
    return changed;
  }

  /** Forgets an object, so it can be folded again from the ops that count now. */
  reset(key: string): void {
    this.forget(key);
  }

  /** The object's live fields, or undefined; the same frozen value until the object changes. */
  get(key: string): Readonly<ObjectValue> | undefined {
    const state = this.objects.get(key);
    return state === undefined ? undefined : shown(state);
  }

  /**
   * The names of an object's live fields, in no order: for a reader that wants no value.
   * After a change `get` sorts and copies every field, and a judgement of each op of a
   * slot's many decisions paid that each time.
   */
  *fieldNames(key: string): Generator<string> {
    const state = this.objects.get(key);
    // Registers at or before the tombstone were buried; a null one was removed.
    if (state !== undefined) for (const [field, register] of state.fields) if (register.value !== null) yield field;
  }

  /** Keys of live objects, sorted, optionally of one kind. */
  keys(kind?: string): readonly string[] {
    if (kind === undefined || kind.includes('/')) {
      const prefix = kind === undefined ? '' : `${kind}/`;
      return [...this.objects.keys()].filter((key) => key.startsWith(prefix) && this.get(key) !== undefined).sort();
    }
    const entry = this.kinds.get(kind);
    if (entry === undefined) return [];
    entry.live ??= Object.freeze([...entry.keys].filter((key) => this.get(key) !== undefined).sort());
    return entry.live;
  }

  /** The stamp of a field's current value: when (by its writer's clock) and by whom it was written. */
  fieldStamp(key: string, field: string): Stamp | undefined {
    const state = this.objects.get(key);
    const register = state?.fields.get(field);
    if (state === undefined || register === undefined || register.value === null) return undefined;
    return state.tombstone !== undefined && compareStamp(register.stamp, state.tombstone) <= 0 ? undefined : register.stamp;
  }

  /** The stamp that wrote the object's current state, for conflict reports and `describe`. */
  lastWrite(key: string): Stamp | undefined {
    const state = this.objects.get(key);
    if (state === undefined) return undefined;
    let last = state.tombstone;
    for (const register of state.fields.values()) last = maxStamp(last, register.stamp);
    return last;
  }

  /**
   * Tombstone collection: an object deleted before `horizon`, with nothing written
   * since, is forgotten. Safe because replicas refuse deltas stamped before the
   * horizon (Replica.receive), so no older write can arrive to resurrect it.
   */
  collect(horizon: Hlc): number {
    let collected = 0;
    for (const [key, state] of this.objects) {
      if (state.tombstone === undefined || compareHlc(state.tombstone.hlc, horizon) >= 0) continue;
      if (shown(state) !== undefined) continue;
      this.forget(key);
      collected++;
    }
    return collected;
  }

  get size(): number {
    return this.objects.size;
  }

  private forget(key: string): void {
    this.objects.delete(key);
    const kind = kindOf(key);
    const entry = kind === undefined ? undefined : this.kinds.get(kind);
    if (entry === undefined) return;
    entry.keys.delete(key);
    if (entry.keys.size === 0) this.kinds.delete(kind as string);
    else entry.live = undefined;
  }

  private kindChanged(key: string): void {
    const kind = kindOf(key);
    const entry = kind === undefined ? undefined : this.kinds.get(kind);
    if (entry !== undefined) entry.live = undefined;
  }
}

/** An object key's kind: what comes before its first `/` (kind/namespace/name); a key with none has no kind. */
function kindOf(key: string): string | undefined {
  const slash = key.indexOf('/');
  return slash < 0 ? undefined : key.slice(0, slash);
}

/** Registers at or before the tombstone can never show again, so they go. */
function bury(state: ObjectState, stamp: Stamp): boolean {
  if (state.tombstone !== undefined && compareStamp(stamp, state.tombstone) <= 0) return false;
  state.tombstone = stamp;
  for (const [field, register] of state.fields) {
    if (compareStamp(register.stamp, stamp) <= 0) state.fields.delete(field);
  }
  return true;
}

function write(state: ObjectState, fields: Record<string, Json>, stamp: Stamp): boolean {
  if (state.tombstone !== undefined && compareStamp(stamp, state.tombstone) <= 0) return false;
  let changed = false;
  for (const field in fields) {
    const current = state.fields.get(field);
    if (current === undefined || compareStamp(stamp, current.stamp) > 0) {
      state.fields.set(field, { value: fields[field] as Json, stamp });
      changed = true;
    }
  }
  return changed;
}

/** The live fields in name order, so every replica shows an object identically. */
function shown(state: ObjectState): Readonly<ObjectValue> | undefined {
  if (state.shown === undefined) {
    let out: ObjectValue | undefined;
    for (const field of [...state.fields.keys()].sort()) {
      const value = (state.fields.get(field) as Register).value;
      if (value === null) continue;
      out ??= {};
      out[field] = value;
    }
    state.shown = out === undefined ? null : Object.freeze(out);
  }
  return state.shown ?? undefined;
}

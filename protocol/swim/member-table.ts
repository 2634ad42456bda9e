import { STATE_CODES, stateCode, type Incarnation, type MemberRecord, type MemberState } from './member.js';

const UNKNOWN = 255;

/** One node's view of every other member, as columns indexed by directory index. */
export class MemberTable {
  private incarnations = new Uint32Array(64);
  private states = new Uint8Array(64).fill(UNKNOWN);
  private changedAt = new Float64Array(64);
  private records: (MemberRecord | undefined)[] = [];
  /** The member's signature of its record at this incarnation, or of its leave; none for one taken from a snapshot. */
  private signatures: (string | undefined)[] = [];
  private readonly known: number[] = [];

  has(index: number): boolean {
    return index < this.states.length && this.states[index] !== UNKNOWN;
  }

  state(index: number): MemberState {
    const code = this.states[index];
    const state = code === undefined ? undefined : STATE_CODES[code];
    if (state === undefined) throw new RangeError(`member ${index} is not in the table`);
    return state;
  }

  incarnation(index: number): Incarnation {
    return this.incarnations[index] as number;
  }

  record(index: number): MemberRecord {
    const record = this.records[index];
    if (record === undefined) throw new RangeError(`member ${index} is not in the table`);
    return record;
  }

  signature(index: number): string | undefined {
    return this.signatures[index];
  }

  stateChangedAtMs(index: number): number {
    return this.changedAt[index] as number;
  }

  set(index: number, record: MemberRecord, incarnation: Incarnation, state: MemberState, nowMs: number, signature: string | undefined): void {
    this.ensure(index);
    if (this.states[index] === UNKNOWN) this.known.push(index);
    this.records[index] = record;
    this.signatures[index] = signature;
    this.incarnations[index] = incarnation;
    if (this.states[index] !== stateCode(state)) this.changedAt[index] = nowMs;
    this.states[index] = stateCode(state);
  }

  remove(index: number): void {
    if (!this.has(index)) return;
    this.states[index] = UNKNOWN;
    this.records[index] = undefined;
    this.signatures[index] = undefined;
    const at = this.known.indexOf(index);
    this.known[at] = this.known[this.known.length - 1] as number;
    this.known.pop();
  }

  indexes(): readonly number[] {
    return this.known;
  }

  /** Sizes the columns for `members` at once, where a bulk load knows the count. */
  reserve(members: number): void {
    if (members > this.states.length) this.resize(members);
  }

  private ensure(index: number): void {
    if (index < this.states.length) return;
    let length = this.states.length;
    while (length <= index) length *= 2;
    this.resize(length);
  }

  private resize(length: number): void {
    const incarnations = new Uint32Array(length);
    incarnations.set(this.incarnations);
    const states = new Uint8Array(length).fill(UNKNOWN);
    states.set(this.states);
    const changedAt = new Float64Array(length);
    changedAt.set(this.changedAt);
    this.incarnations = incarnations;
    this.states = states;
    this.changedAt = changedAt;
  }
}

import { ancestry } from './chain.js';
import { stampOf, type Delta } from './delta.js';
import type { Json } from './json.js';
import { ADMIN, grantAllowsWrite, grantOf, type OperatorGrant } from './roles.js';
import { compareStamp, type Stamp } from './stamp.js';

/** Fixed at `shoal init`: the cluster's id, the operators who may write from the start, and its founding nodes. */
export interface Genesis {
  cluster: string;
  operators: string[];
  /** Ed25519 public keys (hex) of the nodes admitted from the start: the first node, which admits the rest. */
  nodes?: string[];
}

export const OPERATOR_KIND = 'Operator';
export const NODE_KIND = 'Node';
export const REVOCATION_KIND = 'Revocation';
export const AUTHORITY_NAMESPACE = 'cluster';

/** Operator/cluster/<first 16 hex digits of the key>, field publicKey. */
export const operatorKey = (publicKey: string): string => `${OPERATOR_KIND}/${AUTHORITY_NAMESPACE}/${publicKey.slice(0, 16)}`;
/** Node/cluster/<public key>: an admitted node, written by an operator or by an admitted node that let it in. */
export const nodeKey = (publicKey: string): string => `${NODE_KIND}/${AUTHORITY_NAMESPACE}/${publicKey}`;
/** Revocation/cluster/<public key>, fields publicKey and heads: the key's deltas the revocation counts. */
export const revocationKey = (publicKey: string): string => `${REVOCATION_KIND}/${AUTHORITY_NAMESPACE}/${publicKey}`;

const AUTHORITY_PREFIXES = [OPERATOR_KIND, NODE_KIND, REVOCATION_KIND].map((kind) => `${kind}/${AUTHORITY_NAMESPACE}/`);
export const isAuthorityKey = (key: string): boolean => AUTHORITY_PREFIXES.some((prefix) => key.startsWith(prefix));
export const touchesAuthority = (delta: Delta): boolean => delta.body.ops.some((op) => isAuthorityKey(op.key));

const PUBLIC_KEY = /^[0-9a-f]{64}$/;
/** The most heads a revocation or a grant may pin; past it, it pins nothing. */
export const MAX_PINNED_HEADS = 1024;
const DELTA_ID = /^[0-9a-f]{64}$/;
/** Revocations that undo one another can flip forever; past this many rounds the last verdict stands. */
const MAX_ROUNDS = 8;

/** An operator's adds (each with the role it gave) and removes, by stamp. */
interface Grant {
  adds: { stamp: Stamp; grant: OperatorGrant }[];
  removes: Stamp[];
}

/**
 * A grant written with the key's heads (`shoal operator add` of a key that may already
 * be one): what those heads reach counts by its stamps; anything else the key signs
 * stamped before the grant is judged by this grant, as if stamped no earlier. Without it
 * a demoted admin went on writing as an admin, backdated to before its demotion.
 */
interface GrantPin {
  stamp: Stamp;
  grant: OperatorGrant;
  counted: ReadonlySet<string>;
}

interface PinCandidate {
  target: string;
  stamp: Stamp;
  grant: OperatorGrant;
  heads: string[];
}

const latestBefore = <T>(items: readonly T[], stampOf: (item: T) => Stamp, stamp: Stamp): T | undefined => {
  let latest: T | undefined;
  for (const item of items) if (compareStamp(stampOf(item), stamp) < 0 && (latest === undefined || compareStamp(stampOf(item), stampOf(latest)) > 0)) latest = item;
  return latest;
};

/**
 * Who may write, as a pure function of the log, so every replica reaches the same
 * verdict whatever order deltas arrived in:
 * - an operator (genesis, or added by an operator's counted write) counts at a stamp if
 *   the latest add or remove of it stamped before is an add;
 * - a node counts once admitted: in the genesis, by an operator, or by an admitted node
 *   (earlier in stamp order, so two nodes cannot admit each other into being);
 * - a revoked key counts only for the deltas its revocations' heads reach, whatever
 *   their stamps: a backdated write lands outside, and so does anything it would grant;
 * - a grant written with heads judges what the key signs outside them, stamped before
 *   it, by itself (GrantPin): a demotion holds against backdated writes.
 * Only counted writes change who may write, so a removed operator adds nobody.
 */
export class Authority {
  private constructor(
    private readonly genesis: Genesis,
    private readonly grants: ReadonlyMap<string, Grant>,
    private readonly admitted: ReadonlySet<string>,
    private readonly revoked: ReadonlyMap<string, ReadonlySet<string>>,
    private readonly pins: ReadonlyMap<string, readonly GrantPin[]>,
  ) {}

  static of(genesis: Genesis): Authority {
    return new Authority(genesis, new Map(), new Set(genesis.nodes ?? []), new Map(), new Map());
  }

  /** `deltas` must hold every delta the replica holds; only those touching authority objects matter. */
  static fold(genesis: Genesis, deltas: Iterable<Delta>, get: (id: string) => Delta | undefined): Authority {
    const relevant = [...deltas].filter(touchesAuthority).sort((a, b) => compareStamp(stampOf(a), stampOf(b)));
    let revoked = new Map<string, Set<string>>();
    let pins = new Map<string, GrantPin[]>();
    let authority = Authority.of(genesis);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const folded = foldRound(genesis, relevant, revoked, pins);
      authority = new Authority(genesis, folded.grants, folded.admitted, revoked, pins);
      const next = new Map([...folded.pins].map(([key, heads]) => [key, ancestry(key, heads, get)]));
      const nextPins = grantPins(folded.grantPins, get);
      if (sameRevocations(next, revoked) && samePins(nextPins, pins)) break;
      revoked = next;
      pins = nextPins;
      authority = new Authority(genesis, folded.grants, folded.admitted, revoked, pins);
    }
    return authority;
  }

  isOperator(author: string): boolean {
    return this.genesis.operators.includes(author) || this.grants.has(author);
  }

  isNode(author: string): boolean {
    return !this.isOperator(author) && this.admitted.has(author);
  }

  isRevoked(author: string): boolean {
    return this.revoked.has(author);
  }

  /** Outside what the author's revocations counted (false for a key never revoked). */
  revokedOut(delta: Delta): boolean {
    const counted = this.revoked.get(delta.body.author);
    return counted !== undefined && !counted.has(delta.id);
  }

  /**
   * An operator's delta counts if the key was an operator at its stamp (or, outside a
   * grant's heads, by that grant), with a role that allows every object it writes: every
   * replica judges this when it merges, so a node that skipped the API's check cannot
   * make the cluster accept it.
   */
  operatorCounts(delta: Delta): boolean {
    if (!this.isOperator(delta.body.author) || this.revokedOut(delta)) return false;
    return allows(grantFor(this.genesis, this.grants, this.pins, delta), delta);
  }

  /**
   * Named by a grant's heads, directly or through the key's deltas held: it may name more
   * of them, so what the heads reach is to be walked again with it (a rebuild).
   */
  reachedByPin(delta: Delta): boolean {
    return this.pins.get(delta.body.author)?.some((pin) => pin.counted.has(delta.id)) ?? false;
  }

  /** Outside a grant's heads, stamped before it, and not allowed by it: it cannot count while those heads stand. */
  pinnedOut(delta: Delta): boolean {
    const pin = pinOf(this.pins, delta);
    return pin !== undefined && !allows(pin.grant, delta);
  }

  /** What `author` may do at `stamp` as an operator; undefined if it may do nothing, or was revoked. */
  grantAt(author: string, stamp: Stamp): OperatorGrant | undefined {
    return this.revoked.has(author) ? undefined : grantedAt(this.genesis, this.grants, author, stamp);
  }

  nodeCounts(delta: Delta): boolean {
    return this.isNode(delta.body.author) && !this.revokedOut(delta);
  }

  /** Operators that may write at `stamp`, and have not been revoked. */
  activeOperators(stamp: Stamp): string[] {
    const keys = [...this.genesis.operators, ...this.grants.keys()];
    return [...new Set(keys)].filter((key) => this.grantAt(key, stamp) !== undefined).sort();
  }

  admittedNodes(): string[] {
    return [...this.admitted].filter((key) => !this.revoked.has(key)).sort();
  }
}

const allows = (grant: OperatorGrant | undefined, delta: Delta): boolean =>
  grant !== undefined && delta.body.ops.every((op) => grantAllowsWrite(grant, op.key, isAuthorityKey(op.key)));

/** The latest grant written with heads, stamped after `delta`, whose heads do not reach it. */
function pinOf(pins: ReadonlyMap<string, readonly GrantPin[]>, delta: Delta): GrantPin | undefined {
  const stamp = stampOf(delta);
  let latest: GrantPin | undefined;
  for (const pin of pins.get(delta.body.author) ?? []) {
    if (compareStamp(pin.stamp, stamp) > 0 && !pin.counted.has(delta.id) && (latest === undefined || compareStamp(pin.stamp, latest.stamp) > 0)) latest = pin;
  }
  return latest;
}

/** What `delta`'s author may do for it: by the grant that pins it out, else at its stamp. */
function grantFor(genesis: Genesis, grants: ReadonlyMap<string, Grant>, pins: ReadonlyMap<string, readonly GrantPin[]>, delta: Delta): OperatorGrant | undefined {
  if (genesis.operators.includes(delta.body.author)) return ADMIN;
  return pinOf(pins, delta)?.grant ?? grantedAt(genesis, grants, delta.body.author, stampOf(delta));
}

/** A genesis operator is an admin for good; another has the role of its latest add, unless a later remove took it away. */
function grantedAt(genesis: Genesis, grants: ReadonlyMap<string, Grant>, author: string, stamp: Stamp): OperatorGrant | undefined {
  if (genesis.operators.includes(author)) return ADMIN;
  const grant = grants.get(author);
  if (grant === undefined) return undefined;
  const added = latestBefore(grant.adds, (a) => a.stamp, stamp);
  const removed = latestBefore(grant.removes, (s) => s, stamp);
  return added !== undefined && (removed === undefined || compareStamp(added.stamp, removed) > 0) ? added.grant : undefined;
}

interface Candidate {
  revoker: string;
  target: string;
  heads: string[];
  delta: Delta;
}

/** One pass in stamp order with the revocations and grant pins known so far; returns what it granted, admitted and pinned. */
function foldRound(genesis: Genesis, deltas: readonly Delta[], revoked: ReadonlyMap<string, ReadonlySet<string>>, pins: ReadonlyMap<string, readonly GrantPin[]>) {
  const grants = new Map<string, Grant>();
  const admitted = new Set(genesis.nodes ?? []);
  const candidates: Candidate[] = [];
  const grantPins: PinCandidate[] = [];
  const outside = (delta: Delta): boolean => revoked.has(delta.body.author) && !revoked.get(delta.body.author)?.has(delta.id);
  for (const delta of deltas) {
    if (outside(delta)) continue;
    const author = delta.body.author;
    const stamp = stampOf(delta);
    const grant = grantFor(genesis, grants, pins, delta);
    // Only an admin changes who may write; a node admits other nodes.
    const asAdmin = grant?.role === 'admin';
    const asNode = grant === undefined && admitted.has(author);
    if (!asAdmin && !asNode) continue;
    for (const op of delta.body.ops) {
      const [kind, , name = ''] = op.key.split('/');
      if (kind === OPERATOR_KIND && asAdmin) foldGrant(grants, grantPins, op, stamp);
      // A revoked node may be admitted again harmlessly: its revocation still bounds what counts.
      else if (kind === NODE_KIND && PUBLIC_KEY.test(name) && 'set' in op && (asAdmin || name !== author)) admitted.add(name);
      else if (kind === REVOCATION_KIND && asAdmin && 'set' in op && op.set.publicKey === name) {
        const heads = pinnedHeads(op.set.heads);
        if (heads !== undefined) candidates.push({ revoker: author, target: name, heads, delta });
      }
    }
  }
  return { grants, admitted, pins: resolveRevocations(genesis, grants, candidates), grantPins };
}

/**
 * Revocations that cut each other off (two admins revoking each other, or a removed
 * key revoking its remover with a backdated write) are settled by rank, never by
 * stamp, which the writer chooses: genesis operators first, then operators in the order
 * they were granted (a grant's stamp is the granter's), then the revocation's stamp.
 * A revocation counts unless a higher-ranked one already cut its author off.
 */
function resolveRevocations(genesis: Genesis, grants: ReadonlyMap<string, Grant>, candidates: Candidate[]): Map<string, Set<string>> {
  const rank = (key: string): [number, Stamp | undefined] => {
    const index = genesis.operators.indexOf(key);
    if (index >= 0) return [index, undefined];
    const first = grants
      .get(key)
      ?.adds.map((a) => a.stamp)
      .reduce<Stamp | undefined>((a, b) => (a === undefined || compareStamp(b, a) < 0 ? b : a), undefined);
    return [genesis.operators.length, first];
  };
  const byRank = (a: Candidate, b: Candidate): number => {
    const [ia, sa] = rank(a.revoker);
    const [ib, sb] = rank(b.revoker);
    if (ia !== ib) return ia - ib;
    if (sa !== undefined && sb !== undefined && compareStamp(sa, sb) !== 0) return compareStamp(sa, sb);
    return compareStamp(stampOf(a.delta), stampOf(b.delta));
  };
  const pins = new Map<string, Set<string>>();
  for (const candidate of candidates.sort(byRank)) {
    const cut = pins.get(candidate.revoker);
    if (cut !== undefined && !cut.has(candidate.delta.id)) continue;
    let pinned = pins.get(candidate.target);
    if (pinned === undefined) pins.set(candidate.target, (pinned = new Set()));
    for (const id of candidate.heads) pinned.add(id);
  }
  return pins;
}

function foldGrant(grants: Map<string, Grant>, pins: PinCandidate[], op: Delta['body']['ops'][number], stamp: Stamp): void {
  if ('delete' in op) {
    for (const [key, grant] of grants) if (operatorKey(key) === op.key) grant.removes.push(stamp);
    return;
  }
  const publicKey = op.set.publicKey;
  if (typeof publicKey !== 'string' || !PUBLIC_KEY.test(publicKey) || operatorKey(publicKey) !== op.key) return;
  const given = grantOf(op.set);
  if (given === undefined) return;
  let grant = grants.get(publicKey);
  if (grant === undefined) grants.set(publicKey, (grant = { adds: [], removes: [] }));
  grant.adds.push({ stamp, grant: given });
  if (op.set.heads === undefined) return;
  // Heads that are not a list of ids pin nothing: the grant still counts, by stamps alone.
  const heads = pinnedHeads(op.set.heads);
  if (heads !== undefined) pins.push({ target: publicKey, stamp, grant: given, heads });
}

function grantPins(candidates: readonly PinCandidate[], get: (id: string) => Delta | undefined): Map<string, GrantPin[]> {
  const pins = new Map<string, GrantPin[]>();
  for (const { target, stamp, grant, heads } of candidates) {
    let list = pins.get(target);
    if (list === undefined) pins.set(target, (list = []));
    list.push({ stamp, grant, counted: ancestry(target, heads, get) });
  }
  return pins;
}

function samePins(a: ReadonlyMap<string, readonly GrantPin[]>, b: ReadonlyMap<string, readonly GrantPin[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, list] of a) {
    const other = b.get(key);
    if (other === undefined || other.length !== list.length) return false;
    for (let i = 0; i < list.length; i++) {
      const x = list[i] as GrantPin;
      const y = other[i] as GrantPin;
      if (compareStamp(x.stamp, y.stamp) !== 0 || x.counted.size !== y.counted.size || [...x.counted].some((id) => !y.counted.has(id))) return false;
    }
  }
  return true;
}

/** A revocation's (or a grant's) heads: delta ids; an empty list counts nothing of the key. */
function pinnedHeads(value: Json | undefined): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_PINNED_HEADS) return undefined;
  return value.every((id) => typeof id === 'string' && DELTA_ID.test(id)) ? (value as string[]) : undefined;
}

function sameRevocations(a: ReadonlyMap<string, ReadonlySet<string>>, b: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, ids] of a) {
    const other = b.get(key);
    if (other === undefined || other.size !== ids.size || [...ids].some((id) => !other.has(id))) return false;
  }
  return true;
}

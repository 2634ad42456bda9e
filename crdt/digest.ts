/**
 * A summary of a set of delta ids for anti-entropy, as a 16-ary trie over the ids'
 * hex digits. Each prefix has a count and the XOR of its ids' leading 8 bytes; two
 * replicas compare summaries from the root down and descend only where they differ,
 * so finding d differences among n deltas costs about d * log16(n) summaries, not n.
 * Ids are sha256 of signed content, so nobody can craft ids that cancel in the XOR.
 */
export interface PrefixSummary {
  prefix: string;
  count: number;
  /** XOR of the first 16 hex digits of each id, as hex. */
  xor: string;
}

/**
 * Below this many ids a prefix is answered with its ids rather than with its children.
 * Measured on 10,000 shared deltas and 100 differences: 64 cost 270 kB of digest
 * traffic, 16 cost 117 kB, 4 cost 126 kB (one more round).
 */
export const LEAF_IDS = 16;
const DEPTH = 4;
const HEX = '0123456789abcdef';

export class DeltaDigest {
  private readonly counts = new Map<string, number>();
  private readonly xors = new Map<string, bigint>();
  private readonly leaves = new Map<string, Set<string>>();

  add(id: string): void {
    const leaf = id.slice(0, DEPTH);
    let ids = this.leaves.get(leaf);
    if (ids === undefined) this.leaves.set(leaf, (ids = new Set()));
    if (ids.has(id)) return;
    ids.add(id);
    this.update(id, 1);
  }

  remove(id: string): void {
    const ids = this.leaves.get(id.slice(0, DEPTH));
    if (ids === undefined || !ids.delete(id)) return;
    this.update(id, -1);
  }

  summary(prefix: string): PrefixSummary {
    return { prefix, count: this.counts.get(prefix) ?? 0, xor: (this.xors.get(prefix) ?? 0n).toString(16) };
  }

  children(prefix: string): PrefixSummary[] {
    return [...HEX].map((digit) => this.summary(prefix + digit));
  }

  /**
   * Every id under `prefix`, found down the prefixes that count any: the work follows the
   * ids found, not the leaves held (a scan of every leaf for each short prefix a peer
   * asked about cost a node a second a query at 50,000 deltas).
   */
  ids(prefix: string): string[] {
    if (prefix.length >= DEPTH) return [...(this.leaves.get(prefix.slice(0, DEPTH)) ?? [])].filter((id) => id.startsWith(prefix));
    const out: string[] = [];
    for (const digit of HEX) if ((this.counts.get(prefix + digit) ?? 0) > 0) out.push(...this.ids(prefix + digit));
    return out;
  }

  /** Whether a prefix is small enough, or deep enough, to be answered with its ids. */
  isLeaf(prefix: string): boolean {
    return prefix.length >= DEPTH || (this.counts.get(prefix) ?? 0) <= LEAF_IDS;
  }

  private update(id: string, sign: 1 | -1): void {
    const head = BigInt(`0x${id.slice(0, 16)}`);
    for (let length = 0; length <= DEPTH; length++) {
      const prefix = id.slice(0, length);
      this.counts.set(prefix, (this.counts.get(prefix) ?? 0) + sign);
      this.xors.set(prefix, (this.xors.get(prefix) ?? 0n) ^ head);
    }
  }
}

export const sameSummary = (a: PrefixSummary, b: PrefixSummary): boolean => a.count === b.count && a.xor === b.xor;

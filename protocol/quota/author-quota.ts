/**
 * How much one key may write through a node, as two token buckets (deltas and bytes)
 * per author. A burst as large as an apply of hundreds of objects passes; a key that
 * keeps writing past the refill is refused until its buckets refill, so one key cannot
 * take a node's memory, disk and CPU, nor crowd out everyone else's writes. Refusing
 * only delays: a delta refused here and stored elsewhere reaches this node again
 * through anti-entropy, so replicas still converge.
 */
export interface QuotaConfig {
  burstDeltas: number;
  deltasPerSecond: number;
  burstBytes: number;
  bytesPerSecond: number;
  /** Buckets kept at most; the fullest (idlest) authors are forgotten first, which only gives them a full bucket. */
  maxAuthors: number;
}

export const defaultQuota = (): QuotaConfig => ({
  // An apply of a few files of hundreds of objects, each file one delta, fits in the burst.
  burstDeltas: 1_000,
  // Far above what operators type or a node's agent reports, far below a flood.
  deltasPerSecond: 50,
  burstBytes: 32 * 1024 * 1024,
  bytesPerSecond: 4 * 1024 * 1024,
  maxAuthors: 10_000,
});

interface Bucket {
  deltas: number;
  bytes: number;
  atMs: number;
}

export type QuotaVerdict = { ok: true } | { ok: false; retryAfterMs: number };

export class AuthorQuota {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly config: QuotaConfig = defaultQuota()) {}

  /** Takes one delta of `bytes` from the author's buckets, or says how long until it would fit. */
  take(author: string, bytes: number, nowMs: number): QuotaVerdict {
    const bucket = this.refilled(author, nowMs);
    if (bucket.deltas >= 1 && bucket.bytes >= bytes) {
      bucket.deltas -= 1;
      bucket.bytes -= bytes;
      return { ok: true };
    }
    const deltaWaitMs = bucket.deltas >= 1 ? 0 : ((1 - bucket.deltas) / this.config.deltasPerSecond) * 1000;
    const byteWaitMs = bucket.bytes >= bytes ? 0 : ((bytes - bucket.bytes) / this.config.bytesPerSecond) * 1000;
    return { ok: false, retryAfterMs: Math.ceil(Math.max(deltaWaitMs, byteWaitMs)) };
  }

  private refilled(author: string, nowMs: number): Bucket {
    let bucket = this.buckets.get(author);
    if (bucket === undefined) {
      if (this.buckets.size >= this.config.maxAuthors) this.forgetFullest(nowMs);
      bucket = { deltas: this.config.burstDeltas, bytes: this.config.burstBytes, atMs: nowMs };
      this.buckets.set(author, bucket);
    }
    const elapsedS = Math.max(0, nowMs - bucket.atMs) / 1000;
    bucket.deltas = Math.min(this.config.burstDeltas, bucket.deltas + elapsedS * this.config.deltasPerSecond);
    bucket.bytes = Math.min(this.config.burstBytes, bucket.bytes + elapsedS * this.config.bytesPerSecond);
    bucket.atMs = nowMs;
    return bucket;
  }

  private forgetFullest(nowMs: number): void {
    let fullest: string | undefined;
    let level = -1;
    for (const [author, bucket] of this.buckets) {
      const refilled = Math.min(this.config.burstDeltas, bucket.deltas + (Math.max(0, nowMs - bucket.atMs) / 1000) * this.config.deltasPerSecond);
      if (refilled > level) {
        level = refilled;
        fullest = author;
      }
    }
    if (fullest !== undefined) this.buckets.delete(fullest);
  }
}

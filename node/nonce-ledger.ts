/**
 * The nonces of signed requests a node has accepted, each kept until its request would
 * be refused as too old anyway: a captured request does not run twice. Bounded: when it
 * is full of nonces still in their window, new requests are refused (the caller answers
 * 429) rather than forgetting a nonce early, which would let its request be replayed.
 */
export class NonceLedger {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly capacity = 100_000) {}

  /** Records `nonce` until `expiresAtMs`; 'replayed' if it is already held. */
  use(nonce: string, expiresAtMs: number, nowMs: number): 'ok' | 'replayed' | 'full' {
    const held = this.expiries.get(nonce);
    if (held !== undefined && held > nowMs) return 'replayed';
    if (this.expiries.size >= this.capacity) this.prune(nowMs);
    if (this.expiries.size >= this.capacity) return 'full';
    this.expiries.set(nonce, expiresAtMs);
    return 'ok';
  }

  get size(): number {
    return this.expiries.size;
  }

  private prune(nowMs: number): void {
    for (const [nonce, expiresAtMs] of this.expiries) if (expiresAtMs <= nowMs) this.expiries.delete(nonce);
  }
}

/**
 * The nonces of signed requests a node has accepted, each kept until its request would
 * be refused as too old anyway: a captured request does not run twice. Bounded: when it
 * is full of nonces still in their window, new requests are refused (the caller answers
 * 429) rather than forgetting a nonce early, which would let its request be replayed.
 * Each key has a share of its own, so one key's flood (any viewer's cheap reads) fills
 * only its share, and every other operator, the admin who would remove it among them,
 * is still served.
 */
export class NonceLedger {
  private readonly byKey = new Map<string, Map<string, number>>();
  private held = 0;

  constructor(
    private readonly perKey = 10_000,
    private readonly capacity = 100_000,
  ) {}

  /** Records `key`'s `nonce` until `expiresAtMs`; 'replayed' if it is already held. */
  use(key: string, nonce: string, expiresAtMs: number, nowMs: number): 'ok' | 'replayed' | 'full' {
    const heldUntil = this.byKey.get(key)?.get(nonce);
    if (heldUntil !== undefined && heldUntil > nowMs) return 'replayed';
    const mine = this.byKey.get(key);
    if (mine !== undefined && mine.size >= this.perKey) this.prune(key, mine, nowMs);
    if ((this.byKey.get(key)?.size ?? 0) >= this.perKey) return 'full';
    if (this.held >= this.capacity) for (const [k, n] of this.byKey) this.prune(k, n, nowMs);
    if (this.held >= this.capacity) return 'full';
    let nonces = this.byKey.get(key);
    if (nonces === undefined) this.byKey.set(key, (nonces = new Map()));
    if (!nonces.has(nonce)) this.held++;
    nonces.set(nonce, expiresAtMs);
    return 'ok';
  }

  get size(): number {
    return this.held;
  }

  private prune(key: string, nonces: Map<string, number>, nowMs: number): void {
    for (const [nonce, expiresAtMs] of nonces) {
      if (expiresAtMs > nowMs) continue;
      nonces.delete(nonce);
      this.held--;
    }
    if (nonces.size === 0) this.byKey.delete(key);
  }
}

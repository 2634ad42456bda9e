import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'sealed1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Secret values in the document and on disk are AES-256-GCM ciphertexts under a key
 * derived from the cluster key, which only members hold. The nonce is random: a text
 * that the same value always sealed to would let whoever can ask for a seal confirm a
 * guessed value. The place (object and field) is authenticated too, so a sealed value
 * cannot be moved to another key.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(clusterKey: Uint8Array, clusterId: string) {
    this.key = Buffer.from(hkdfSync('sha256', clusterKey, clusterId, 'shoal/secrets/v1/key', 32));
  }

  seal(object: string, field: string, value: Buffer): string {
    const place = `${object}\u0000${field}`;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(place));
    const body = Buffer.concat([cipher.update(value), cipher.final()]);
    return PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
  }

  /**
   * `value` sealed for its place, or `current` (the text the document holds) when that
   * already opens to it: applying an unchanged Secret then writes nothing.
   */
  sealUnlessSame(object: string, field: string, value: Buffer, current: unknown): string {
    if (typeof current === 'string') {
      try {
        if (this.open(object, field, current).equals(value)) return current;
      } catch {
        // Not a text of this place and cluster: seal anew.
      }
    }
    return this.seal(object, field, value);
  }

  /** The value, or an Error when the text is not a value sealed for this place by this cluster. */
  open(object: string, field: string, sealed: string): Buffer {
    if (!sealed.startsWith(PREFIX)) throw new Error(`${object} ${field} is not sealed`);
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw new Error(`${object} ${field} is damaged`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(`${object}\u0000${field}`));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
  }
}

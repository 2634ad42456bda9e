import { xsalsa20 } from '@noble/ciphers/salsa.js';

/** Salsa20 makes its keystream 64 bytes at a time; the block counter counts these. */
const BLOCK_BYTES = 64;
/**
 * noble's xsalsa20 takes the low 32 bits of Salsa20's 64-bit block counter and refuses
 * its last value, so one key and nonce cover 2^32 - 1 blocks (about 256 GiB).
 */
const MAX_BLOCKS = 2 ** 32 - 1;
/**
 * One cipher call covers at most this much (a whole number of blocks, so every call but
 * the last starts on a block and a 4-byte boundary, where noble XORs a word at a time).
 * Bounded calls keep the work of one call the same whatever size a muxer or socket
 * hands over, as upstream pnet's fix does for its cipher.
 */
const CHUNK_BYTES = 1024 * BLOCK_BYTES;

export class KeystreamExhaustedError extends Error {
  override readonly name = 'KeystreamExhaustedError';
}

/**
 * One direction of an XSalsa20-encrypted byte stream: successive xor() calls continue
 * one keystream, so cutting the stream anywhere gives the bytes a one-shot xsalsa20 of
 * the whole would. The only state is how far the keystream has been used; no buffer or
 * pool outlives a call, so a dropped stream leaves nothing behind.
 */
export class XSalsa20Stream {
  private position = 0;

  constructor(
    private readonly key: Uint8Array,
    private readonly nonce: Uint8Array,
  ) {}

  /** Returns data XORed with the next data.length keystream bytes, in a new buffer. */
  xor(data: Uint8Array): Uint8Array {
    if (data.length === 0) return new Uint8Array(0);
    const end = this.position + data.length;
    if (Math.ceil(end / BLOCK_BYTES) > MAX_BLOCKS) {
      throw new KeystreamExhaustedError(`the keystream ends after ${MAX_BLOCKS} blocks of ${BLOCK_BYTES} bytes; the connection must be opened again`);
    }
    // The cipher only starts at a block boundary, so when the last call ended inside a
    // block, the data goes after as many filler bytes as that block had used: those take
    // the keystream bytes already spent, and are cut off the result.
    const skip = this.position % BLOCK_BYTES;
    const firstBlock = (this.position - skip) / BLOCK_BYTES;
    const buffer = new Uint8Array(skip + data.length);
    buffer.set(data, skip);
    for (let offset = 0; offset < buffer.length; offset += CHUNK_BYTES) {
      const chunk = buffer.subarray(offset, offset + CHUNK_BYTES);
      xsalsa20(this.key, this.nonce, chunk, chunk, firstBlock + offset / BLOCK_BYTES);
    }
    this.position = end;
    return buffer.subarray(skip);
  }
}

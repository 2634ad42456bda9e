import { base58btc } from 'multiformats/bases/base58';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/**
 * A node signs its writes with the Ed25519 key behind its libp2p peer id, so the
 * document can check that a node writes only about itself. For Ed25519 the peer id
 * is the key itself: an identity multihash (0x00, length 36) of the protobuf
 * PublicKey { Type: Ed25519 (field 1 = 1), Data: 32 bytes (field 2) }, in base58btc.
 */
const PREFIX = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20);

export function peerIdOfPublicKey(publicKeyHex: string): string {
  const key = hexToBytes(publicKeyHex);
  if (key.length !== 32) throw new RangeError(`an Ed25519 public key is 32 bytes, not ${key.length}`);
  const multihash = new Uint8Array(PREFIX.length + key.length);
  multihash.set(PREFIX);
  multihash.set(key, PREFIX.length);
  return base58btc.baseEncode(multihash);
}

/** The Ed25519 public key (hex) behind a peer id, or undefined where the id is no Ed25519 key. */
export function publicKeyOfPeerId(peerId: string): string | undefined {
  let multihash: Uint8Array;
  try {
    multihash = base58btc.baseDecode(peerId);
  } catch {
    return undefined;
  }
  if (multihash.length !== PREFIX.length + 32 || PREFIX.some((byte, i) => multihash[i] !== byte)) return undefined;
  return bytesToHex(multihash.subarray(PREFIX.length));
}

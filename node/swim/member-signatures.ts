import type { PrivateKey } from '@libp2p/interface';
import { publicKeyOfPeerId } from '../../base/peer-id.js';
import type { MemberSignatures } from '../../protocol/swim/index.js';
import { nodeSigningKey } from '../native-signer.js';
import { nativeVerifier } from '../native-verifier.js';

/**
 * SWIM's signatures with the node's libp2p key: a member id is a peer id, which for
 * Ed25519 is the public key itself, so a signature checks against the id it claims.
 */
export function memberSignatures(privateKey: PrivateKey): MemberSignatures {
  const key = nodeSigningKey(privateKey);
  const verify = nativeVerifier();
  return {
    sign: (statement) => Buffer.from(key.sign(Buffer.from(statement))).toString('hex'),
    verify: (id, statement, signature) => {
      const publicKey = publicKeyOfPeerId(id);
      return publicKey !== undefined && verify(publicKey, Buffer.from(statement), signature);
    },
  };
}

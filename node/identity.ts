import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dataPaths } from './data-dir.js';

/** The node's Ed25519 key; its libp2p peer id is the node's name in the cluster. */
export async function loadOrCreateIdentity(dataDir: string): Promise<PrivateKey> {
  const { root, identity } = dataPaths(dataDir);
  if (existsSync(identity)) return privateKeyFromProtobuf(readFileSync(identity));
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const key = await generateKeyPair('Ed25519');
  writeFileSync(identity, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' });
  return key;
}

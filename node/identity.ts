import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { bytesToHex } from '@noble/hashes/utils.js';
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dataPaths } from './data-dir.js';
import { UserError } from './errors.js';

export class NoIdentityError extends UserError {
  override readonly name = 'NoIdentityError';
  constructor(readonly path: string) {
    super(`no node identity at ${path}: run \`shoal init\` or \`shoal start\` to create one`);
  }
}

/** The node's Ed25519 key; its libp2p peer id is the node's name in the cluster. */
export async function loadIdentity(dataDir: string): Promise<PrivateKey> {
  const { identity } = dataPaths(dataDir);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(identity);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NoIdentityError(identity);
    throw e;
  }
  let key: PrivateKey;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (e) {
    // Never replace a damaged identity silently: the cluster knows the node by it.
    throw new UserError(`node identity ${identity} is damaged (${(e as Error).message}): restore it from a backup, or delete it to join as a new node`);
  }
  if (key.type !== 'Ed25519') throw new UserError(`node identity ${identity} is a ${key.type} key; Shoal node identities are Ed25519`);
  return key;
}

export async function loadOrCreateIdentity(dataDir: string): Promise<PrivateKey> {
  try {
    return await loadIdentity(dataDir);
  } catch (e) {
    if (!(e instanceof NoIdentityError)) throw e;
  }
  const { root, identity } = dataPaths(dataDir);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const key = await generateKeyPair('Ed25519');
  // Written whole to a private name, then linked into place: `shoal init` and a starting
  // daemon racing on one directory end up with one key, never a torn file.
  const scratch = `${identity}.${randomBytes(8).toString('hex')}.tmp`;
  await writeFile(scratch, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' });
  try {
    await link(scratch, identity);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return loadIdentity(dataDir);
  } finally {
    await rm(scratch, { force: true });
  }
  return key;
}

/** The node's public key as the document names it: hex of the Ed25519 key behind its peer id. */
export const nodePublicKey = (key: PrivateKey): string => bytesToHex(key.publicKey.raw);

import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError } from './errors.js';
import { nativeSigningKey } from './native-signer.js';

/**
 * The operator key signs every write to desired state. It belongs to the person at the
 * CLI, not to a node, so each write is attributable: ~/.shoal/operator.key by default.
 */
export const defaultOperatorKeyPath = (): string => process.env.SHOAL_OPERATOR_KEY ?? join(homedir(), '.shoal', 'operator.key');

export interface OperatorKey {
  publicKey: string;
  path: string;
  /** Ed25519 with this key: requests' signatures and deltas'. */
  sign(message: Uint8Array): Uint8Array;
}

export const operatorKeyOf = (secret: Uint8Array, path: string): OperatorKey => ({ path, ...nativeSigningKey(secret) });

export function loadOperatorKey(path: string): OperatorKey {
  if (!existsSync(path)) throw new UserError(`no operator key at ${path}: use --key FILE, or create one with \`shoal operator key --new\``);
  const hex = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new UserError(`${path} is not a Shoal operator key (64 hex digits)`);
  return operatorKeyOf(hexToBytes(hex), path);
}

export function loadOrCreateOperatorKey(path: string): OperatorKey {
  if (existsSync(path)) return loadOperatorKey(path);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const secret = new Uint8Array(randomBytes(32));
  writeFileSync(path, `${bytesToHex(secret)}\n`, { mode: 0o600, flag: 'wx' });
  return operatorKeyOf(secret, path);
}

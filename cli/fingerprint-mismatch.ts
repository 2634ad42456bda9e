import { UserError } from '../node/errors.js';

/** The certificate a node presented is not the one its fingerprint names: someone else answers at that address. */
export class FingerprintMismatchError extends UserError {
  override readonly name = 'FingerprintMismatchError';
}

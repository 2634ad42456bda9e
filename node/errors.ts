/** Errors the CLI shows as one line: each names the thing the user got wrong. */
export class UserError extends Error {
  override readonly name: string = 'UserError';
}

export class AddressInUseError extends UserError {
  override readonly name = 'AddressInUseError';
  constructor(readonly address: string) {
    super(`address ${address} is already in use: pick another with --listen or --api`);
  }
}

export class JoinTimeoutError extends UserError {
  override readonly name = 'JoinTimeoutError';
  constructor(
    readonly seeds: readonly string[],
    readonly seconds: number,
    readonly lastError: string,
  ) {
    super(`could not join in ${seconds} s: wrong cluster key, or the seed is unreachable (tried ${seeds.join(', ')}${lastError ? `; last error: ${lastError}` : ''})`);
  }
}

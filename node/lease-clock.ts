import { readFileSync } from 'node:fs';

/**
 * The clock a node and its fence keeper share for the majority lease: the host's
 * monotonic clock (CLOCK_MONOTONIC, through libuv), one for every process and container
 * on the host since boot. A wall-clock step (NTP, the testnet's skew fault) does not move
 * it, so the two processes cannot disagree on when the lease runs out.
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

/** The monotonic clock restarts at boot: a lease recorded under another boot says nothing of this one. */
export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

const POLL_MS = 100;

/**
 * Polls `probe` until it returns a value, or throws naming `what` and the last failure.
 * `onFailure` sees every probe that threw, for a caller that reports why a wait that
 * succeeded took long.
 */
export async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, onFailure?: (e: unknown) => void): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
      onFailure?.(e);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${last === undefined ? '' : ` (${(last as Error).message ?? String(last)})`}`);
}

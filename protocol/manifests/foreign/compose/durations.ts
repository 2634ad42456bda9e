/** Go's duration units, which Compose durations are written in. */
const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, μs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;

/**
 * A Compose duration ("1m30s", "500ms", "10s") in seconds; undefined when malformed.
 * As Go's time.ParseDuration, a bare number is refused unless it is 0.
 */
export function parseDuration(value: unknown): number | undefined {
  if (value === 0 || value === '0') return 0;
  if (typeof value !== 'string' || value === '') return undefined;
  PART.lastIndex = 0;
  let seconds = 0;
  let end = 0;
  for (let match = PART.exec(value); match !== null; match = PART.exec(value)) {
    seconds += Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
    end = PART.lastIndex;
  }
  return end === value.length && Number.isFinite(seconds) ? seconds : undefined;
}

/** Seconds without the float noise of "1m30.1s" adding up to 90.10000000000001. */
export const roundSeconds = (seconds: number): number => Math.round(seconds * 1e6) / 1e6;

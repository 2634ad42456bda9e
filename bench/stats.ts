/** Percentile by nearest rank; the benchmark reports p50 and p99 with it. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export const round = (value: number | null, digits = 2): number | null => (value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits);

export interface Spread {
  p50: number | null;
  min: number | null;
  max: number | null;
}

/** The median and the range of `values`, rounded to `digits`; nulls when there are none. */
export const spread = (values: readonly number[], digits: number): Spread => ({
  p50: round(percentile(values, 50), digits),
  min: round(values.length === 0 ? null : Math.min(...values), digits),
  max: round(values.length === 0 ? null : Math.max(...values), digits),
});

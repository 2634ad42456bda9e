import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Label values by label name; a sample's value. */
export type Sample = [labels: Record<string, string>, value: number];

/**
 * A counter whose values are read, at scrape time, from counters the node keeps anyway
 * (its `counters` objects): nothing on the hot paths changes for the metrics.
 */
export function counterFrom(registry: Registry, name: string, help: string, labelNames: readonly string[], read: () => Sample[]): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) if (value > 0) this.inc(labels, value);
    },
  });
}

export function gaugeFrom(registry: Registry, name: string, help: string, labelNames: readonly string[], read: () => Sample[]): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.set(labels, value);
    },
  });
}

/** A histogram fed at scrape time with what a source recorded since the last scrape (its take...() method). */
export function histogramFrom(registry: Registry, name: string, help: string, buckets: number[], take: () => number[]): void {
  new Histogram({
    name,
    help,
    buckets,
    registers: [registry],
    collect() {
      for (const seconds of take()) this.observe(seconds);
    },
  });
}

/** `{ reason: n }` as samples labelled `label`. */
export const byLabel = (label: string, counts: Readonly<Record<string, number>>, extra: Record<string, string> = {}): Sample[] =>
  Object.entries(counts).map(([value, n]) => [{ ...extra, [label]: value }, n]);

import { metricValue } from '../../protocol/usage/prometheus-text.js';
import { MAX_CUSTOM_VALUE } from '../../protocol/usage/usage-codec.js';

export interface CustomMetric {
  name: string;
  port: number;
  path: string;
}

/** A replica's page of metrics larger than this is not read: it is a page of numbers, not a download. */
const MAX_PAGE_BYTES = 256 * 1024;

async function page(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    if (response.status !== 200 || response.body === null) {
      await response.body?.cancel();
      return undefined;
    }
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for await (const chunk of response.body) {
      bytes += chunk.length;
      if (bytes > MAX_PAGE_BYTES) {
        await response.body.cancel().catch(() => undefined);
        return undefined;
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * Reads the custom metrics a replica serves (autoscaling on them): one GET per page, each
 * within `timeoutMs`. A metric the replica did not answer is left out, so it counts as a
 * replica with no reading, never as zero.
 */
export async function readCustomMetrics(address: string, metrics: readonly CustomMetric[], timeoutMs: number): Promise<Record<string, number>> {
  const pages = new Map<string, Promise<string | undefined>>();
  const host = address.includes(':') ? `[${address}]` : address;
  const values: Record<string, number> = {};
  for (const { name, port, path } of metrics) {
    const url = `http://${host}:${port}${path}`;
    if (!pages.has(url)) pages.set(url, page(url, timeoutMs));
    const text = await pages.get(url);
    const value = text === undefined ? undefined : metricValue(text, name);
    // Beyond the bound a receiver would refuse the node's whole summary for it.
    if (value !== undefined && Math.abs(value) <= MAX_CUSTOM_VALUE) values[name] = value;
  }
  return values;
}

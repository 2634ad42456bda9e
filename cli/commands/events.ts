import type { NodeEvent } from '../../protocol/api/events.js';
import { ApiClient, type ApiTarget } from '../client.js';
import { table } from '../table.js';

const WATCH_INTERVAL_MS = 1_000;

const row = (e: NodeEvent): string[] => [new Date(e.atMs).toISOString(), e.node.slice(-8), e.kind, e.object, e.message];
const HEADERS = ['TIME', 'NODE', 'KIND', 'OBJECT', 'MESSAGE'];

/** `shoal events [-w]`: every node's recent events, merged in time order; -w keeps printing new ones. */
export async function events(opts: { watch: boolean; api: ApiTarget; key: string; output: string }): Promise<void> {
  const client = new ApiClient(opts.api, opts.key);
  const fetchSince = async (sinceMs: number) =>
    (await client.get<{ events: NodeEvent[]; unanswered: string[] }>(`/v1/cluster/events?sinceMs=${sinceMs}`)) ?? { events: [], unanswered: [] };
  const first = await fetchSince(0);
  if (opts.output === 'json') console.log(JSON.stringify(first, null, 2));
  else {
    console.log(table(HEADERS, first.events.map(row)));
    if (first.unanswered.length > 0) console.error(`(no answer from ${first.unanswered.length} node(s): ${first.unanswered.join(', ')})`);
  }
  if (!opts.watch) return;
  // Events are stamped by their node's clock: re-asking a little before the last one seen,
  // and skipping what was printed, tolerates nodes whose clocks differ by seconds.
  const printed = new Map(first.events.map((e) => [JSON.stringify(e), e.atMs]));
  let cursor = Math.max(0, ...first.events.map((e) => e.atMs)) - 30_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, WATCH_INTERVAL_MS));
    const { events: fresh } = await fetchSince(cursor);
    for (const e of fresh) {
      const key = JSON.stringify(e);
      if (printed.has(key)) continue;
      printed.set(key, e.atMs);
      console.log(opts.output === 'json' ? key : row(e).join('   '));
    }
    if (fresh.length > 0) cursor = Math.max(cursor, Math.max(...fresh.map((e) => e.atMs)) - 30_000);
    for (const [key, atMs] of printed) if (atMs < cursor) printed.delete(key);
  }
}

import { UserError } from '../../node/errors.js';
import { parseDuration } from '../duration.js';
import { ApiClient, type ApiTarget } from '../client.js';

/** `shoal logs NAME`: a replica's output, streamed from whichever node runs it. */
export async function logs(opts: { name: string; namespace: string; slot: string; follow: boolean; tail?: string; since?: string; api: ApiTarget; key: string }): Promise<void> {
  const slot = Number(opts.slot);
  if (!Number.isInteger(slot) || slot < 0) throw new UserError(`invalid --slot '${opts.slot}': expected a slot number`);
  const query = new URLSearchParams({ slot: String(slot), follow: String(opts.follow) });
  if (opts.tail !== undefined) {
    if (!/^\d+$/.test(opts.tail)) throw new UserError(`invalid --tail '${opts.tail}': expected a number of lines`);
    query.set('tail', opts.tail);
  }
  if (opts.since !== undefined) query.set('sinceMs', String(Date.now() - parseDuration(opts.since, '--since')));
  const client = new ApiClient(opts.api, opts.key);
  const response = await client.raw(`/v1/workloads/${opts.namespace}/${opts.name}/logs?${query}`);
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { detail?: string };
    throw new UserError(body.detail ?? `${client.baseUrl} answered ${response.status}`);
  }
  for await (const chunk of response.body ?? []) process.stdout.write(chunk);
}

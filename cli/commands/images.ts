import type { ImagePushJson, ImagesJson } from '../../protocol/api/images.js';
import type { ObjectJson } from '../../protocol/api/objects.js';
import { imageFields, imageKey, MAX_IMAGE_REFERENCES } from '../../protocol/images/image-record.js';
import { loadOperatorKey } from '../../node/operator-key.js';
import { readApiError } from '../../protocol/api/errors.js';
import { UserError } from '../../node/errors.js';
import { ApiClient, writeOps, type ApiTarget } from '../client.js';
import { table } from '../table.js';

const shortId = (id: string): string => id.slice('sha256:'.length, 'sha256:'.length + 12);
const shortPeer = (peer: string): string => peer.slice(-8);

function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return bytes < 1024 ** 3 ? `${(bytes / 1024 ** 2).toFixed(1)} MiB` : `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * `shoal image push IMAGE`: the image in the engine of the node the CLI talks to becomes
 * the cluster's under that name, in the namespace: the node checks it holds it and
 * announces it; the operator's signed Image record says which content the name stands
 * for, so a node that lacks it fetches exactly that from a peer and no other.
 */
export async function pushImage(opts: { image: string; namespace: string; api: ApiTarget; key: string }): Promise<void> {
  const client = new ApiClient(opts.api, opts.key);
  const reply = await client.post<ImagePushJson>('/v1/images/push', { image: opts.image, namespace: opts.namespace });
  if (reply.status !== 200) {
    const refusal = readApiError(reply.body);
    throw new UserError(`cannot push ${opts.image}: ${refusal.detail ?? refusal.error ?? reply.status}`);
  }
  const found = reply.body;
  const key = imageKey(opts.namespace, found.id);
  const existing = await client.get<ObjectJson>(`/v1/objects/${key}`);
  const before = Array.isArray(existing?.fields.references) ? existing.fields.references.filter((r): r is string => typeof r === 'string') : [];
  // Newest last, so a record at its bound drops its oldest name.
  const references = [...before.filter((r) => r !== opts.image), opts.image].slice(-MAX_IMAGE_REFERENCES);
  await writeOps(client, loadOperatorKey(opts.key), [{ key, set: imageFields({ references, sizeBytes: found.sizeBytes }) }]);
  console.log(`image ${opts.image} pushed into ${opts.namespace} as ${found.id} (${formatBytes(found.sizeBytes)}), from node ${shortPeer(found.node)}`);
}

/** `shoal get images`: each image the cluster refers to, its names, size and holders; and this node's transfers. */
export async function getImages(opts: { output: string; api: ApiTarget; key: string }): Promise<void> {
  const images = await new ApiClient(opts.api, opts.key).get<ImagesJson>('/v1/images');
  if (images === undefined) return;
  if (opts.output === 'json') {
    console.log(JSON.stringify(images, null, 2));
    return;
  }
  const rows = images.images.map((i) => [
    shortId(i.id),
    i.references.join(', ') || '(by digest)',
    formatBytes(i.sizeBytes),
    i.holders.length === 0 ? '-' : `${i.holders.length}: ${i.holders.map(shortPeer).join(' ')}`,
    formatBytes(images.servedBytes[i.id]),
  ]);
  console.log(table(['ID', 'REFERENCES', 'SIZE', 'HELD BY', 'SERVED HERE'], rows));
  for (const t of images.transfers) {
    const progress = t.sizeBytes === undefined ? 'starting' : `${formatBytes(t.receivedBytes)} of ${formatBytes(t.sizeBytes)}`;
    console.log(`fetching ${t.kind} ${shortId(t.id)} from ${t.provider === undefined ? '?' : shortPeer(t.provider)}: ${progress} (try ${t.attempts})`);
  }
}
